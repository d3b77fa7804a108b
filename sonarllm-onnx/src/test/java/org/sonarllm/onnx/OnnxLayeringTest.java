package org.sonarllm.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.sonarllm.testing.PackageGraph;

/**
 * The package layering of sonarllm-onnx, read from its sources: weights &lt;- graph &lt;- runtime, convert
 * &lt;- the root facade; no cycle; and each package makes public only what other packages or users need.
 */
class OnnxLayeringTest {
    private static final String ROOT = "org.sonarllm.onnx";
    private static final String WEIGHTS = ROOT + ".weights";
    private static final String GRAPH = ROOT + ".graph";
    private static final String RUNTIME = ROOT + ".runtime";
    private static final String CONVERT = ROOT + ".convert";
    private static final String PROTO = ROOT + ".proto";
    private static final Path MAIN = Path.of("src/main/java");

    /** Packages of this module each package may use (core packages are always allowed). */
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            WEIGHTS, Set.of(),
            GRAPH, Set.of(WEIGHTS, PROTO),
            RUNTIME, Set.of(GRAPH),
            CONVERT, Set.of(GRAPH, WEIGHTS),
            ROOT, Set.of(RUNTIME),
            PROTO, Set.of());

    @Test
    void packagesFormNoCycle() {
        PackageGraph g = PackageGraph.read(MAIN);
        assertEquals(List.of(), g.cycles(), g.describeCycles());
    }

    @Test
    void eachPackageUsesOnlyTheLayersBelowIt() {
        PackageGraph g = PackageGraph.read(MAIN);
        Map<String, Set<String>> used = new TreeMap<>();
        g.edges().forEach((p, deps) -> {
            if (p.startsWith(ROOT)) {
                Set<String> ours = new TreeSet<>(deps.stream().filter(d -> d.startsWith(ROOT)).toList());
                used.put(p, ours);
            }
        });
        assertEquals(new TreeSet<>(ALLOWED.keySet()), used.keySet(), "packages of sonarllm-onnx");
        for (Map.Entry<String, Set<String>> e : used.entrySet()) {
            Set<String> extra = new TreeSet<>(e.getValue());
            extra.removeAll(ALLOWED.get(e.getKey()));
            StringBuilder why = new StringBuilder();
            extra.forEach(x -> why.append(' ').append(x).append(" (").append(g.evidence(e.getKey(), x).getFileName())
                    .append(')'));
            assertEquals(Set.of(), extra, e.getKey() + " must not use" + why);
        }
    }

    @Test
    void onlyTheApiIsPublic() throws IOException {
        Map<String, Set<String>> expected = Map.of(
                ROOT, Set.of("SonarLlm", "OnnxModelProvider"),
                RUNTIME, Set.of("RuntimeOptions", "OnnxConceptEncoder", "OnnxConceptDecoder", "OnnxConceptLm"),
                CONVERT, Set.of("SonarConverter", "ConceptLmConverter", "RandomSonarCheckpoint"),
                WEIGHTS, Set.of("SafeTensors", "SafeTensorsWriter", "M2M100Weights", "TorchCheckpoint", "TensorSource",
                        "TensorSources", "BlockQuantizer"),
                GRAPH, Set.of("OnnxGraphBuilder", "SonarEncoderGraph", "SonarDecoderGraph", "TeacherForcingDecoderGraph",
                        "ConceptLmGraph", "GraphWeights"));
        Pattern type = Pattern.compile("^public\\s+(?:final\\s+|abstract\\s+)*(?:class|interface|record|enum)\\s+(\\w+)",
                Pattern.MULTILINE);
        Map<String, Set<String>> found = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String pkg = MAIN.relativize(f.getParent()).toString().replace('/', '.');
                Matcher m = type.matcher(Files.readString(f));
                if (m.find()) {
                    found.computeIfAbsent(pkg, k -> new TreeSet<>()).add(m.group(1));
                }
            }
        }
        Map<String, Set<String>> want = new TreeMap<>();
        expected.forEach((k, v) -> want.put(k, new TreeSet<>(v)));
        assertEquals(want, found);
    }
}
