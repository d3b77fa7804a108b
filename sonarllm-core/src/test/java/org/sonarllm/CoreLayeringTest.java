package org.sonarllm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.testing.PackageGraph;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * sonarllm-core is usable alone: its packages form no cycle, its sources name no class of the other
 * modules or of ONNX Runtime / ND4J, and its pom depends on no other module of ours nor on a native
 * inference runtime. (The API of {@link org.sonarllm.models} therefore compiles against core only.)
 */
class CoreLayeringTest {
    private static final Path MAIN = Path.of("src/main/java");

    @TempDir
    Path tmp;

    @Test
    void corePackagesFormNoCycle() {
        PackageGraph g = PackageGraph.read(MAIN);
        assertTrue(g.edges().containsKey("org.sonarllm.models"), g.edges().toString());
        assertEquals(List.of(), g.cycles(), g.describeCycles());
        // the loading API sits on top: nothing in core depends on it
        g.edges().forEach((p, deps) -> assertFalse(deps.contains("org.sonarllm.models"), p + " -> models"));
    }

    @Test
    void coreSourcesNameNoOtherModuleNorRuntime() throws Exception {
        Pattern foreign = Pattern.compile("\\b(org\\.sonarllm\\.(onnx|training|cli|examples)\\.|ai\\.onnxruntime\\.|org\\.nd4j\\.)");
        List<String> hits = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                Matcher m = foreign.matcher(Files.readString(f));
                if (m.find()) {
                    hits.add(f.getFileName() + ": " + m.group());
                }
            }
        }
        assertEquals(List.of(), hits);
    }

    @Test
    void corePomDependsOnNoModuleOfOursNorOnAnInferenceRuntime() throws Exception {
        Element core = pom(Path.of("pom.xml"));
        assertEquals("sonarllm-core", text(core, "artifactId"));
        // what core declares, plus what it inherits from the parent's <dependencies> (not its management)
        List<Element> deps = new ArrayList<>(children(core, "dependencies", "dependency"));
        deps.addAll(children(pom(Path.of("../pom.xml")), "dependencies", "dependency"));
        assertTrue(deps.size() >= 4, "dependencies read from the poms: " + deps.size());
        for (Element d : deps) {
            String coordinates = text(d, "groupId") + ":" + text(d, "artifactId");
            assertFalse(coordinates.startsWith("org.sonarllm:") || coordinates.startsWith("com.microsoft.onnxruntime:")
                    || coordinates.startsWith("org.nd4j:") || coordinates.startsWith("org.bytedeco:"), coordinates);
        }
    }

    private static Element pom(Path file) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile()).getDocumentElement();
    }

    /** @return the {@code name} children of the {@code section} child of {@code e} (direct children only) */
    private static List<Element> children(Element e, String section, String name) {
        List<Element> out = new ArrayList<>();
        for (Element s : direct(e, section)) {
            out.addAll(direct(s, name));
        }
        return out;
    }

    private static List<Element> direct(Element e, String name) {
        List<Element> out = new ArrayList<>();
        NodeList l = e.getChildNodes();
        for (int i = 0; i < l.getLength(); i++) {
            if (l.item(i) instanceof Element c && c.getTagName().equals(name)) {
                out.add(c);
            }
        }
        return out;
    }

    private static String text(Element e, String child) {
        List<Element> l = direct(e, child);
        return l.isEmpty() ? "" : l.get(0).getTextContent().strip();
    }

    @Test
    void thePackageGraphFindsCyclesInCodeNotInComments() throws Exception {
        write("a/A.java", "package org.sonarllm.a;\nimport org.sonarllm.b.B;\n/** see {@link org.sonarllm.c.C} */\nclass A {}\n");
        write("b/B.java", "package org.sonarllm.b;\nclass B { Object x = new org.sonarllm.a.A(); // org.sonarllm.c.C\n}\n");
        write("c/C.java", "package org.sonarllm.c;\nimport org.sonarllm.a.*;\nclass C { String s = \"// not a comment\"; }\n");
        PackageGraph g = PackageGraph.read(tmp);
        assertEquals(List.of(List.of("org.sonarllm.a", "org.sonarllm.b")), g.cycles());
        assertTrue(g.dependsOn("org.sonarllm.c", "org.sonarllm.a"));
        assertFalse(g.dependsOn("org.sonarllm.a", "org.sonarllm.c"), "a comment is not a dependency");
        assertTrue(g.describeCycles().contains("org.sonarllm.b -> org.sonarllm.a (B.java)"), g.describeCycles());
    }

    private void write(String rel, String source) throws Exception {
        Path f = tmp.resolve(rel);
        Files.createDirectories(f.getParent());
        Files.writeString(f, source);
    }
}
