package dev.llama3j.cli;

import dev.llama3j.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A convert or synth interrupted while writing leaves no {@code OUT.tmp} behind (the CLI runs in a child JVM and
 * gets a real signal), and the next run warns about one that a hard kill left.
 */
@Tag("slow")
class InterruptedWriteTest {
    /** The child is signalled once its temporary file holds this much: well inside the write, long before its end. */
    private static final long SIGNAL_AFTER_BYTES = 64L << 20;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"INT", "TERM"})
    void aSignalMidWriteDeletesTheTemporaryFile(String signal) throws Exception {
        if (signal.equals("INT")) {
            assumeSigintReachesChildren();
        }
        Path out = dir.resolve("big.gguf");
        Path tmp = dir.resolve("big.gguf.tmp");
        Path log = dir.resolve("stderr.txt");
        // llama-3.2-1b in f32 is a 4.6 GiB file: seconds of writing after the first 64 MiB.
        Process child = new ProcessBuilder(javaCommand("synth", "--shape", "llama-3.2-1b", "--type", "f32",
                "-o", out.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!(Files.exists(tmp) && Files.size(tmp) >= SIGNAL_AFTER_BYTES)) {
                assertThat(child.isAlive()).as("child exited early: %s", Files.readString(log)).isTrue();
                assertThat(System.nanoTime()).as("the child never wrote 64 MiB").isLessThan(deadline);
                Thread.sleep(20);
            }
            if (signal.equals("TERM")) {
                child.destroy();
            } else {
                Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(child.pid())).start();
                assertThat(kill.waitFor()).isZero();
            }
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child exits after SIG%s", signal).isTrue();
        } finally {
            child.destroyForcibly();
        }
        // 128 + SIGINT (2) or SIGTERM (15): the JVM ran its shutdown hooks and stopped on the signal.
        assertThat(child.exitValue()).isEqualTo(signal.equals("INT") ? 130 : 143);
        assertThat(tmp).doesNotExist();
        assertThat(out).doesNotExist();
    }

    @Test
    void theNextRunWarnsAboutUnfinishedFilesInTheOutputFolder() throws Exception {
        Path src = SharedData.require("fixtures/meta/tiny-sv-meta");
        Path out = dir.resolve("m.gguf");
        Files.write(dir.resolve("m.gguf.tmp"), new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0});
        Files.write(dir.resolve("other.gguf.tmp"), new byte[2 << 20]);
        Files.write(dir.resolve("other.gguf.tmp"), new byte[] {'G', 'G', 'U', 'F'}, java.nio.file.StandardOpenOption.WRITE);
        Files.writeString(dir.resolve("notes.tmp"), "not a GGUF file");

        CliRunner.Run r = CliRunner.run("convert", src.toString(), "-o", out.toString(), "--type", "f32",
                "--no-tokenizer");

        assertThat(r.exit()).as(r.stderr()).isZero();
        List<String> warnings = r.stderr().lines().filter(l -> l.contains("warning")).toList();
        assertThat(warnings).containsExactly("llama3j: warning: unfinished GGUF output of an interrupted convert or"
                + " synth in " + dir.toAbsolutePath() + ": m.gguf.tmp (0.0 MiB, will be replaced), other.gguf.tmp"
                + " (2.0 MiB); delete them unless another llama3j is still writing them");
        assertThat(dir.resolve("m.gguf.tmp")).doesNotExist();
        assertThat(dir.resolve("other.gguf.tmp")).exists();
        assertThat(out).exists();
    }

    /**
     * A process started with SIGINT ignored (a background job of a shell without job control) passes that on to
     * its children, whose JVM then never sees the signal; skips the test there, saying why.
     */
    private static void assumeSigintReachesChildren() throws Exception {
        Path status = Path.of("/proc/self/status");
        Assumptions.assumeTrue(Files.isReadable(status), "SKIPPED: no /proc/self/status to read signal dispositions");
        String ignored = Files.readAllLines(status).stream().filter(l -> l.startsWith("SigIgn:"))
                .map(l -> l.substring("SigIgn:".length()).strip()).findFirst().orElse("0");
        boolean sigintIgnored = (Long.parseUnsignedLong(ignored, 16) & (1L << 1)) != 0;
        if (sigintIgnored) {
            System.err.println("SKIPPED: SIGINT is ignored in this process (inherited), so a child cannot get it");
        }
        Assumptions.assumeFalse(sigintIgnored, "SIGINT is ignored in this process");
    }

    /** The CLI in a fresh JVM of this test's Java, classpath and module flags. */
    private static List<String> javaCommand(String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
