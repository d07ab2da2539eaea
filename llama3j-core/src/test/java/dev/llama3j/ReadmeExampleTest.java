package dev.llama3j;

import org.junit.jupiter.api.Test;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's "Use it from Java" block, compiled as it stands and run on the real-vocabulary fixture. */
class ReadmeExampleTest {
    @Test
    void theReadmeExampleCompilesAndRuns() throws Exception {
        // the repository root (set by the build; a module's parent folder otherwise)
        String readme = Files.readString(Path.of(System.getProperty("llama3j.root", ".."), "README.md"));
        int section = readme.indexOf("## Use it from Java");
        assertThat(section).as("README section").isPositive();
        int start = readme.indexOf("```java\n", section) + "```java\n".length();
        String source = readme.substring(start, readme.indexOf("```", start));
        Path dir = Files.createTempDirectory("readme-example");
        Files.writeString(dir.resolve("Example.java"), source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int rc = javac.run(null, null, errors, "-d", dir.toString(), "-cp", System.getProperty("java.class.path"),
                dir.resolve("Example.java").toString());
        assertThat(rc).as(errors.toString(StandardCharsets.UTF_8)).isZero();

        String model = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf").toString();
        PrintStream stdout = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                ReadmeExampleTest.class.getClassLoader())) {
            Method main = loader.loadClass("Example").getMethod("main", String[].class);
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[] {model});
        } finally {
            System.setOut(stdout);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).containsPattern("(STOP|LENGTH) after \\d+ tokens");
    }
}
