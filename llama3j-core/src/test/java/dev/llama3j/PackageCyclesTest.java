package dev.llama3j;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Test;

/**
 * The packages of src/main/java depend on each other without a cycle. The graph comes from the imports
 * (static ones included) and the fully-qualified {@code dev.llama3j} names in the code, comments and
 * string literals stripped.
 */
class PackageCyclesTest {

    private static final Path SOURCES = Path.of("src/main/java");
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    /** A dev.llama3j name: lower-case segments (the package), then the first upper-case one (a type). */
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.llama3j((?:\\.[a-z_][\\w]*)*)\\.[A-Z]");
    /** Block and line comments, text blocks, string and char literals, in the order Java reads them. */
    private static final Pattern NOT_CODE = Pattern.compile(
            "/\\*.*?\\*/|//[^\\n]*|\"\"\".*?\"\"\"|\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\\\n])*'",
            Pattern.DOTALL);

    @Test
    void packagesHaveNoCycle() {
        Map<String, Set<String>> graph = dependencyGraph(SOURCES);
        assertThat(graph).as("packages scanned under %s", SOURCES).containsKeys("dev.llama3j.tensor", "dev.llama3j.format");
        assertThat(cycles(graph)).as("package cycles (each listed as a strongly connected set)").isEmpty();
    }

    @Test
    void scanFindsACycleWhenThereIsOne() {
        Map<String, Set<String>> graph = new TreeMap<>();
        graph.put("a", Set.of("b"));
        graph.put("b", Set.of("c"));
        graph.put("c", Set.of("a"));
        graph.put("d", Set.of("a"));
        assertThat(cycles(graph)).containsExactly(List.of("a", "b", "c"));
    }

    @Test
    void referencesInCodeCountButNotInCommentsOrStrings() {
        String source = """
                package dev.llama3j.x;
                import static dev.llama3j.y.Util.helper;
                // dev.llama3j.comment.Ignored
                /** {@link dev.llama3j.javadoc.Ignored} */
                class A { Object o = new dev.llama3j.z.Thing(); String s = "dev.llama3j.string.Ignored"; }
                """;
        assertThat(references(source)).containsExactlyInAnyOrder("dev.llama3j.y", "dev.llama3j.z");
    }

    static Map<String, Set<String>> dependencyGraph(Path root) {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                Matcher pkg = PACKAGE.matcher(source);
                if (!pkg.find()) continue;
                Set<String> targets = graph.computeIfAbsent(pkg.group(1), k -> new TreeSet<>());
                for (String target : references(source)) {
                    if (!target.equals(pkg.group(1))) targets.add(target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    /** The packages a source names, its own included. */
    static Set<String> references(String source) {
        String code = NOT_CODE.matcher(source).replaceAll(" ");
        Set<String> packages = new TreeSet<>();
        Matcher m = REFERENCE.matcher(code);
        while (m.find()) packages.add("dev.llama3j" + m.group(1));
        return packages;
    }

    /** The strongly connected sets of more than one package, each sorted (Tarjan's algorithm). */
    static List<List<String>> cycles(Map<String, Set<String>> graph) {
        var tarjan = new Object() {
            int next = 0;
            final Map<String, Integer> index = new HashMap<>();
            final Map<String, Integer> low = new HashMap<>();
            final Deque<String> stack = new ArrayDeque<>();
            final Set<String> onStack = new TreeSet<>();
            final List<List<String>> found = new ArrayList<>();

            void visit(String v) {
                index.put(v, next);
                low.put(v, next++);
                stack.push(v);
                onStack.add(v);
                for (String w : graph.getOrDefault(v, Set.of())) {
                    if (!index.containsKey(w)) {
                        visit(w);
                        low.put(v, Math.min(low.get(v), low.get(w)));
                    } else if (onStack.contains(w)) {
                        low.put(v, Math.min(low.get(v), index.get(w)));
                    }
                }
                if (low.get(v).equals(index.get(v))) {
                    List<String> component = new ArrayList<>();
                    String w;
                    do {
                        w = stack.pop();
                        onStack.remove(w);
                        component.add(w);
                    } while (!w.equals(v));
                    if (component.size() > 1) found.add(component.stream().sorted().toList());
                }
            }
        };
        for (String v : graph.keySet()) {
            if (!tarjan.index.containsKey(v)) tarjan.visit(v);
        }
        return tarjan.found;
    }
}
