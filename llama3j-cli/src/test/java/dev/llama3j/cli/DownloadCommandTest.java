package dev.llama3j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llama3j.SharedData;
import dev.llama3j.download.FakeHosts;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code download}, {@code list} and {@code -m org/name:QUANT} end to end, against local hosts that serve the tiny
 * fixtures as Meta's CDN and the Hugging Face hub do: what was downloaded must generate exactly what the fixture
 * itself generates.
 */
class DownloadCommandTest {
    @TempDir
    Path dir;
    FakeHosts hosts;

    @BeforeEach
    void start() throws IOException {
        hosts = new FakeHosts();
        hosts.cdnFiles.put("LICENSE", "LICENSE\n".getBytes(StandardCharsets.UTF_8));
        hosts.cdnFiles.put("USE_POLICY", "USE_POLICY\n".getBytes(StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        hosts.close();
    }

    @Test
    void aMetaDownloadRunsAsTheCheckpointItWasMadeFrom() throws Exception {
        Path fixture = SharedData.require("fixtures/meta/tiny-meta");
        StringBuilder checklist = new StringBuilder();
        for (String name : List.of("consolidated.00.pth", "params.json", "tokenizer.model")) {
            byte[] bytes = Files.readAllBytes(fixture.resolve(name));
            hosts.cdnFiles.put("8b_instruction_tuned/" + name, bytes);
            checklist.append(md5(bytes)).append("  ").append(name).append('\n');
        }
        hosts.cdnFiles.put("8b_instruction_tuned/checklist.chk", checklist.toString().getBytes(StandardCharsets.UTF_8));

        // download.sh's questions, answered on stdin
        String answers = hosts.presignedUrl(FakeHosts.SIGNATURE) + "\n8B-instruct\n";
        CliRunner.Run download = CliRunner.run(answers.getBytes(StandardCharsets.UTF_8), "download", "-o",
                dir.toString());
        assertThat(download.exit()).as(download.stderr()).isZero();
        Path folder = dir.resolve("Meta-Llama-3-8B-Instruct");
        assertThat(download.stdout()).isEqualTo(folder + System.lineSeparator());
        assertThat(download.stderr()).startsWith("Enter the URL from email: \nEnter the list of models to download "
                + "without spaces (8B,8B-instruct,70B,70B-instruct), or press Enter for all: ")
                .contains("Downloading 8b_instruction_tuned").doesNotContain(FakeHosts.SIGNATURE);

        String[] generate = {"--temperature", "0", "--max-gen-len", "8", "I believe the meaning of life is"};
        CliRunner.Run fromDownload = CliRunner.run(concat(new String[] {"complete", "--verify", "--ckpt-dir",
                folder.toString()}, generate));
        CliRunner.Run fromFixture = CliRunner.run(concat(new String[] {"complete", "--ckpt-dir", fixture.toString()},
                generate));
        assertThat(fromDownload.exit()).as(fromDownload.stderr()).isZero();
        assertThat(fromDownload.stderr()).contains("verified 3 files against checklist.chk");
        assertThat(fromDownload.stdout()).isNotBlank().isEqualTo(fromFixture.stdout());
    }

    @Test
    void anExpiredLinkIsOneLineAndExitsNonZero() {
        CliRunner.Run run = CliRunner.run("download", "--meta-url", hosts.presignedUrl("old"), "--models", "8B",
                "-o", dir.toString());
        assertThat(run.exit()).isEqualTo(UserErrors.EXIT_USER_ERROR);
        assertThat(run.stderr().strip().lines()).singleElement().asString().startsWith("llama3j: the download link "
                + "was refused (HTTP 403)");
        assertThat(run.stdout()).isEmpty();
    }

    @Test
    void aHubReferenceIsDownloadedOnFirstUseListedAndRunsAsTheFile() throws Exception {
        Path gguf = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("README.md", "# tiny\n".getBytes(StandardCharsets.UTF_8));
        files.put("tiny-Q8_0.gguf", Files.readAllBytes(gguf));
        hosts.addRepo("test-org/tiny-GGUF", "89abcdef0123456789abcdef0123456789abcdef", files, false);

        String[] generate = {"--temperature", "0", "--max-gen-len", "8", "Hello"};
        Proc viaHub = java(concat(new String[] {"complete", "-m", "test-org/tiny-GGUF:q8_0"}, generate));
        CliRunner.Run direct = CliRunner.run(concat(new String[] {"complete", "-m", gguf.toString()}, generate));
        assertThat(viaHub.exit).as(viaHub.stderr).isZero();
        assertThat(viaHub.stderr).contains("llama3j: downloading test-org/tiny-GGUF:q8_0 from " + hosts.hubUri());
        assertThat(viaHub.stdout).isNotBlank().isEqualTo(direct.stdout());

        Proc list = java("list", "--dir", dir.resolve("empty").toString());
        assertThat(list.exit).as(list.stderr).isZero();
        assertThat(list.stdout.lines().filter(l -> l.startsWith("test-org/tiny-GGUF:Q8_0 "))).singleElement()
                .asString().contains(" GGUF ").contains(" Q8_0 ")
                .contains(dir.resolve("hf/hub/models--test-org--tiny-GGUF/snapshots").toString());

        hosts.log.clear();
        Proc again = java(concat(new String[] {"complete", "-m", "test-org/tiny-GGUF:Q8_0"}, generate));
        assertThat(again.stdout).isEqualTo(direct.stdout());
        assertThat(hosts.log).as("the cached file is used without the network").isEmpty();
    }

    @Test
    void aStoppedDownloadLeavesAPartFileThatTheSameCommandCompletes() throws Exception {
        byte[] weights = new byte[3_000_000];
        new java.util.Random(5).nextBytes(weights);
        hosts.addRepo("test-org/big", "1111111111111111111111111111111111111111", Map.of("weights.gguf", weights),
                false);
        hosts.slow.put("blobs/" + FakeHosts.sha256(weights), true);
        Path local = dir.resolve("big");
        Path part = local.resolve("weights.gguf.part");
        String[] args = {"download", "test-org/big", "--local-dir", local.toString()};
        Process p = start(args);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(Files.exists(part) && Files.size(part) > 20_000) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        p.destroy(); // SIGTERM: the JVM shuts down as on Ctrl-C
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(dir.resolve("err.txt"))).contains("llama3j: interrupted; unfinished files are "
                + "kept as *.part and resume when the same command runs again");
        long kept = Files.size(part);
        assertThat(kept).isBetween(20_000L, (long) weights.length - 1);
        assertThat(local.resolve("weights.gguf")).doesNotExist();

        hosts.slow.clear();
        hosts.log.clear();
        Proc again = java(args);
        assertThat(again.exit).as(again.stderr).isZero();
        assertThat(again.stdout.strip()).isEqualTo(local.toString());
        assertThat(Files.readAllBytes(local.resolve("weights.gguf"))).isEqualTo(weights);
        assertThat(hosts.log).filteredOn(l -> l.startsWith("GET cdn ")).singleElement().asString()
                .endsWith(" bytes=" + kept + "-");
    }

    record Proc(int exit, String stdout, String stderr) {}

    /** The CLI in a fresh JVM whose environment points the hub at the local one and HF_HOME into the test folder. */
    private Proc java(String... args) throws Exception {
        Process p = start(args);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Proc(p.exitValue(), Files.readString(dir.resolve("out.txt")),
                Files.readString(dir.resolve("err.txt")));
    }

    private Process start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("HF_ENDPOINT", hosts.hubUri().toString());
        pb.environment().put("HF_HOME", dir.resolve("hf").toString());
        pb.environment().remove("HF_TOKEN");
        pb.environment().remove("HF_HUB_CACHE");
        pb.environment().remove("HF_HUB_OFFLINE");
        return pb.redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile())
                .start();
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String md5(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }
}
