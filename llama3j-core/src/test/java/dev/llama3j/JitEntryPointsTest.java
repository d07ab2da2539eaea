package dev.llama3j;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The launcher's JIT settings name kernel methods in {@code jit-entry-points.txt}; a renamed method would silently
 * drop out of them. Each pattern must name a class that exists and a method it declares ({@code *}: any method;
 * {@code package.*}: some class of that package).
 */
class JitEntryPointsTest {
    private static final String RESOURCE = "/dev/llama3j/jit-entry-points.txt";

    @Test
    void everyPatternNamesExistingMethods() throws Exception {
        List<String> patterns = patterns();
        assertThat(patterns).contains("dev.llama3j.tensor.kernel.*::dot", "dev.llama3j.tensor.VectorMath::*");
        for (String pattern : patterns) {
            String[] parts = pattern.split("::", -1);
            assertThat(parts).as(pattern + ": Class::method").hasSize(2);
            String method = parts[1];
            List<Class<?>> classes = parts[0].endsWith(".*")
                    ? classesOf(parts[0].substring(0, parts[0].length() - 2))
                    : List.of(Class.forName(parts[0], false, JitEntryPointsTest.class.getClassLoader()));
            List<String> found = classes.stream().flatMap(c -> Arrays.stream(c.getDeclaredMethods()))
                    .map(Method::getName).filter(name -> method.equals("*") || name.equals(method)).toList();
            assertThat(found).as(pattern + " matches no method").isNotEmpty();
        }
    }

    private static List<String> patterns() throws IOException {
        try (InputStream in = JitEntryPointsTest.class.getResourceAsStream(RESOURCE)) {
            assertThat(in).as(RESOURCE).isNotNull();
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        }
    }

    /** The classes (nested ones too) compiled into this package's folder(s) on the class path. */
    private static List<Class<?>> classesOf(String pkg) throws IOException, URISyntaxException,
            ClassNotFoundException {
        List<Class<?>> classes = new ArrayList<>();
        for (URL url : Collections.list(JitEntryPointsTest.class.getClassLoader()
                .getResources(pkg.replace('.', '/')))) {
            assertThat(url.getProtocol()).as(url.toString()).isEqualTo("file");
            try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                    String name = f.getFileName().toString();
                    classes.add(Class.forName(pkg + "." + name.substring(0, name.length() - ".class".length()),
                            false, JitEntryPointsTest.class.getClassLoader()));
                }
            }
        }
        assertThat(classes).as("classes of " + pkg).isNotEmpty();
        return classes;
    }
}
