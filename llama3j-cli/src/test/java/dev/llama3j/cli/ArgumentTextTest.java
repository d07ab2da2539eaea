package dev.llama3j.cli;

import dev.llama3j.SharedData;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Arguments that are not valid text: named, with the first bad byte, instead of a silent U+FFFD. */
@Tag("slow")
class ArgumentTextTest {
    private static final Charset UTF8 = StandardCharsets.UTF_8;

    private static byte[][] raw(byte[]... args) {
        return args;
    }

    @Test
    void anInvalidByteIsNamedWithItsPosition() {
        byte[] bad = {'a', 'b', (byte) 0xff, 'c'};
        String[] args = {"tokenize", new String(bad, UTF8)};
        assertThat(ArgumentText.problem(args, () -> raw("tokenize".getBytes(UTF8), bad), UTF8))
                .isEqualTo("argument 2 ('ab\uFFFDc'): invalid UTF-8 at byte 3 (0xff)");
    }

    @Test
    void aReplacementCharacterTheUserTypedIsText() {
        String typed = "x\uFFFDy";
        assertThat(ArgumentText.problem(new String[] {typed}, () -> raw(typed.getBytes(UTF8)), UTF8)).isNull();
        assertThat(ArgumentText.problem(new String[] {"plain", "café"}, () -> null, UTF8)).isNull();
    }

    @Test
    void utf8ThatTheLocaleCannotReadAsksForAUtf8Locale() {
        byte[] cafe = "café".getBytes(UTF8);
        String[] args = {new String(cafe, StandardCharsets.US_ASCII)};
        assertThat(ArgumentText.problem(args, () -> raw(cafe), StandardCharsets.US_ASCII))
                .isEqualTo("argument 1 ('caf\uFFFD\uFFFD'): the locale's encoding (US-ASCII) cannot read this UTF-8 text;"
                        + " use a UTF-8 locale (for example LANG=C.UTF-8)");
    }

    @Test
    void withoutTheRawBytesTheReplacementIsStillReported() {
        assertThat(ArgumentText.problem(new String[] {"ok", "a\uFFFD"}, () -> null, UTF8))
                .isEqualTo("argument 2 ('a\uFFFD'): invalid UTF-8, or text the locale's encoding (UTF-8) cannot read:"
                        + " character 2 is U+FFFD");
    }

    /** The real path: a JVM started with a bad byte in its arguments reads them back from /proc/self/cmdline. */
    @Test
    void theCommandLineReportsABadByteInAPrompt() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/cmdline")) && new File("/bin/bash").canExecute(),
                "needs Linux's /proc and bash");
        String tokenizer = SharedData.require("llama3/tokenizer.model").toString();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", "-c", "exec \"$0\" -cp \"$1\" dev.llama3j.cli.Main "
                + "tokenize --tokenizer \"$2\" \"$(printf 'caf\\xe9 ok')\"", java, System.getProperty("java.class.path"),
                tokenizer);
        pb.environment().put("LC_ALL", "C.UTF-8");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(p.getInputStream().readAllBytes(), UTF8);
        assertThat(p.exitValue()).as(output).isEqualTo(1);
        assertThat(output.strip()).isEqualTo("llama3j: argument 4 ('caf\uFFFD ok'): invalid UTF-8 at byte 4 (0xe9)");
    }
}
