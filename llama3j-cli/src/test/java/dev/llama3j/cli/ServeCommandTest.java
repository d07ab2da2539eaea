package dev.llama3j.cli;

import dev.llama3j.SharedData;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code llama3j serve}'s mistakes are one-line errors with exit status 1, before or instead of serving. */
class ServeCommandTest {
    static String model() {
        return SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf").toString();
    }

    @Test
    void badOptionsAreOneLineErrors() {
        assertError(CliRunner.run("serve", "-m", model(), "--parallel", "0"), "--parallel must be >= 1, got 0");
        assertError(CliRunner.run("serve", "-m", model(), "--parallel", "8", "--ctx-size", "4"),
                "--ctx-size must be at least --parallel (8), got 4");
        assertError(CliRunner.run("serve", "-m", model(), "--port", "70000"), "--port must be in 0..65535, got 70000");
        assertError(CliRunner.run("serve", "-m", model(), "--tool-format", "pythonic"), "--tool-format must be one of "
                + "auto, llama3.1-json, llama3.1-builtin, function-tag, llama3.2-pythonic, got 'pythonic'");
    }

    @Test
    void aPortInUseIsAOneLineError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CliRunner.Run run = CliRunner.run("serve", "-m", model(), "--port", String.valueOf(taken.getLocalPort()));
            assertError(run, "cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    static void assertError(CliRunner.Run run, String message) {
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr()).contains("llama3j: " + message).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
