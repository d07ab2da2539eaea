package dev.llama3j.determinism;

import dev.llama3j.tensor.kernel.Vectors;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every Java kernel gives the same bits interpreted and compiled by C2: {@link DeterminismProbe} runs in a JVM that
 * only interprets ({@code -Xint}, where every Vector API call is its Java fallback code) and in one that compiles
 * with C2 alone after 1/20 of the usual invocations and runs the kernels 40 times; the second must show that C2
 * compiled the kernels, and both must print the same checksums.
 */
@Tag("slow")
class DeterminismTest {
    private static final Pattern LINE = Pattern.compile("^(\\S+) ([0-9a-f]{8})$", Pattern.MULTILINE);

    @TempDir
    Path dir;

    @Test
    void kernelsGiveTheSameBitsInterpretedAndCompiled() throws Exception {
        // wider than the machine, C2 runs the same Java fallback code as the interpreter: nothing to compare
        assumeTrue(Vectors.F.vectorBitSize() <= FloatVector.SPECIES_PREFERRED.vectorBitSize(),
                () -> "SKIPPED: " + Vectors.F + " is wider than this machine's vectors");
        Path interpreted = dir.resolve("interpreted.txt");
        Path compiled = dir.resolve("compiled.txt");
        probe(List.of("-Xint"), 1, interpreted);
        // -Xbatch: a method that reaches the threshold runs on only once C2 has compiled it, so a loaded machine
        // cannot leave a kernel in the compile queue past the last pass
        String log = probe(List.of("-XX:-TieredCompilation", "-XX:CompileThresholdScaling=0.05", "-Xbatch",
                "-XX:+PrintCompilation"), 40, compiled);

        Map<String, String> expected = checksums(interpreted);
        assertThat(expected).containsKeys("Q4_0.matvec", "Q4_K.matvecInt8", "F16.matmul",
                "Attention.group", "VectorMath.swiglu", "Transformer.Q4_0", "Transformer.Q4_K+Q6_K.int8");
        assertThat(checksums(compiled)).isEqualTo(expected);
        // C2 (the only compiler here) compiled the kernels before the last pass
        assertThat(log).contains("dev.llama3j.tensor.kernel.Vectors::sum", "dev.llama3j.model.Attention::dot4Keys",
                "dev.llama3j.tensor.VectorMath::swiglu", "dev.llama3j.tensor.kernel.TileMatmul::tile (",
                "dev.llama3j.tensor.kernel.QuantKernel::dot", "dev.llama3j.model.Attention::");
    }

    private static Map<String, String> checksums(Path file) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        Matcher matcher = LINE.matcher(Files.readString(file));
        while (matcher.find()) {
            m.put(matcher.group(1), matcher.group(2));
        }
        return m;
    }

    /** Runs the probe in a fresh JVM with these options and the test's vector width; returns the JVM's output. */
    private static String probe(List<String> jvmOptions, int passes, Path lines)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // the Java kernels only: C2 must compile the ones that native kernels would replace (native code has no JIT
        // state; NativeKernelsTest and its siblings hold it to the Java kernels' bits)
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss4m",
                "-XX:CompileCommand=quiet", "-Dllama3j.native=off"));
        String width = System.getProperty(Vectors.WIDTH_PROPERTY);
        if (width != null) {
            cmd.add("-D" + Vectors.WIDTH_PROPERTY + "=" + width);
        }
        // the instruction set this JVM was limited to, if any (the AVX2 test run on a wider machine)
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("-XX:UseAVX="))
                .forEach(cmd::add);
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DeterminismProbe.class.getName(),
                Integer.toString(passes), lines.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("probe finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
