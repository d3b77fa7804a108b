package org.sonarllm.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The package dependency graph of a source tree, read from the Java sources themselves: every
 * reference to a class of ours ({@code org.sonarllm...}) outside comments, whether imported or written
 * fully qualified, is an edge from the file's package to the class's package. Strongly connected
 * components of more than one package are cycles. Shipped in core's test-jar so that each module
 * checks its own layering.
 *
 * <pre>{@code
 * PackageGraph g = PackageGraph.read(Path.of("src/main/java"));
 * assertEquals(List.of(), g.cycles(), g.describeCycles());
 * assertFalse(g.dependsOn("org.sonarllm.onnx.convert", "org.sonarllm.onnx.runtime"));
 * }</pre>
 */
public final class PackageGraph {
    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    /** A reference to a type of ours: lower-case segments, then an upper-case type name or a wildcard. */
    private static final Pattern REFERENCE = Pattern.compile("\\b(org\\.sonarllm(?:\\.[a-z_][a-z0-9_]*)*)\\.(?:[A-Z]|\\*)");

    /** package -> packages it uses -> one file that shows it. */
    private final Map<String, Map<String, Path>> edges = new TreeMap<>();

    private PackageGraph() {}

    /**
     * @param sourceRoot a source root such as {@code src/main/java}
     * @return the graph of the packages under it
     */
    public static PackageGraph read(Path sourceRoot) {
        PackageGraph g = new PackageGraph();
        try (Stream<Path> files = Files.walk(sourceRoot)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java")).sorted()::iterator) {
                g.add(f, Files.readString(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return g;
    }

    private void add(Path file, String source) {
        String code = stripComments(source);
        Matcher pm = PACKAGE.matcher(code);
        if (!pm.find()) {
            return;
        }
        String from = pm.group(1);
        Map<String, Path> out = edges.computeIfAbsent(from, k -> new TreeMap<>());
        Matcher m = REFERENCE.matcher(code.substring(pm.end()));
        while (m.find()) {
            String to = m.group(1);
            if (!to.equals(from)) {
                out.putIfAbsent(to, file);
            }
        }
    }

    /** @return every package with the packages of ours it uses */
    public Map<String, Set<String>> edges() {
        Map<String, Set<String>> m = new TreeMap<>();
        edges.forEach((k, v) -> m.put(k, new TreeSet<>(v.keySet())));
        return m;
    }

    /**
     * @param from a package @param to a package
     * @return whether a class of {@code from} refers to a class of {@code to} or of a package under it
     */
    public boolean dependsOn(String from, String to) {
        return edges.getOrDefault(from, Map.of()).keySet().stream().anyMatch(p -> p.equals(to) || p.startsWith(to + "."));
    }

    /**
     * @param from a package @param to a package
     * @return a file of {@code from} that refers to {@code to}, or null
     */
    public Path evidence(String from, String to) {
        return edges.getOrDefault(from, Map.of()).get(to);
    }

    /** @return the dependency cycles: strongly connected components of two or more packages, sorted */
    public List<List<String>> cycles() {
        Tarjan t = new Tarjan();
        for (String p : edges.keySet()) {
            if (!t.index.containsKey(p)) {
                t.visit(p);
            }
        }
        return t.components;
    }

    /** @return the cycles with one file per edge, for assertion messages */
    public String describeCycles() {
        StringBuilder sb = new StringBuilder();
        for (List<String> c : cycles()) {
            sb.append("cycle among ").append(c).append(':');
            for (String a : c) {
                for (String b : c) {
                    Path f = evidence(a, b);
                    if (f != null) {
                        sb.append("\n  ").append(a).append(" -> ").append(b).append(" (").append(f.getFileName()).append(')');
                    }
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Tarjan's strongly connected components over {@link #edges}. */
    private final class Tarjan {
        final Map<String, Integer> index = new HashMap<>();
        final Map<String, Integer> low = new HashMap<>();
        final Deque<String> stack = new ArrayDeque<>();
        final Set<String> onStack = new TreeSet<>();
        final List<List<String>> components = new ArrayList<>();
        int next;

        void visit(String v) {
            index.put(v, next);
            low.put(v, next);
            next++;
            stack.push(v);
            onStack.add(v);
            for (String w : edges.getOrDefault(v, Map.of()).keySet()) {
                if (!index.containsKey(w)) {
                    visit(w);
                    low.put(v, Math.min(low.get(v), low.get(w)));
                } else if (onStack.contains(w)) {
                    low.put(v, Math.min(low.get(v), index.get(w)));
                }
            }
            if (low.get(v).equals(index.get(v))) {
                List<String> c = new ArrayList<>();
                String w;
                do {
                    w = stack.pop();
                    onStack.remove(w);
                    c.add(w);
                } while (!w.equals(v));
                if (c.size() > 1) {
                    c.sort(null);
                    components.add(c);
                }
            }
        }
    }

    /** Blanks comments (keeping string and character literals, whose text may look like comments). */
    static String stripComments(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '/' && i + 1 < n && s.charAt(i + 1) == '/') {
                while (i < n && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                out.append(' ');
            } else if (c == '"' || c == '\'') {
                int start = i;
                boolean textBlock = c == '"' && s.startsWith("\"\"\"", i);
                i += textBlock ? 3 : 1;
                while (i < n) {
                    char d = s.charAt(i);
                    if (d == '\\') {
                        i += 2;
                    } else if (textBlock ? s.startsWith("\"\"\"", i) : d == c || d == '\n') {
                        i += textBlock ? 3 : 1;
                        break;
                    } else {
                        i++;
                    }
                }
                out.append(s, start, Math.min(i, n));
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
