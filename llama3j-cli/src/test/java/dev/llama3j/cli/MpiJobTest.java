package dev.llama3j.cli;

import dev.llama3j.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Jobs of several processes under {@code mpirun} (Open MPI), each rank holding its part of the model: the
 * reference fixtures' conformance (Meta's 2-shard checkpoints with a shard per rank, and files cut in place, with
 * quantization blocks straddling the ranks' column ranges), three ranks over four heads and two KV heads, greedy
 * generation equal to one process's, and the ends of a job: a bad path, a killed rank.
 */
@Tag("slow")
class MpiJobTest {
    private static final long LIMIT_SECONDS = 240;

    @TempDir
    Path dir;

    @BeforeAll
    static void needsMpirun() {
        boolean found = false;
        for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
            found |= !p.isEmpty() && Files.isExecutable(Path.of(p, "mpirun"));
        }
        if (!found) {
            System.err.println("SKIPPED: mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)");
        }
        Assumptions.assumeTrue(found, "mpirun is not installed");
    }

    record Result(int exit, String stdout, String stderr) {}

    @Test
    void shardedAndCutFixturesMatchTheReferenceOverTwoRanks() throws Exception {
        Path fixtures = SharedData.require("fixtures");
        Result r = mpirun(2, "conformance", "--fixtures", fixtures.toString(), "--out", dir.toString(),
                "--fixture", "tiny-sv-meta-mp2", "--fixture", "tiny31-sv-meta-mp2", "--fixture", "tiny-sv-hf",
                "--fixture", "tiny-k-gguf-q4_k_m", "--fixture", "tiny-gguf-q8_0");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("5 fixtures: 5 passed, 0 failed");
    }

    @Test
    void threeRanksSplitHeadsVocabularyAndFfnUnevenly() throws Exception {
        Path fixtures = SharedData.require("fixtures");
        Result r = mpirun(3, "conformance", "--fixtures", fixtures.toString(), "--out", dir.toString(),
                "--fixture", "tiny-sv-meta-mp2", "--fixture", "tiny-sv-gguf-q4_0");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("2 fixtures: 2 passed, 0 failed");
    }

    @Test
    void greedyGenerationEqualsOneProcess() throws Exception {
        Path model = SharedData.require("fixtures/meta/tiny-meta");
        String[] args = {"complete", "-m", model.toString(), "--temperature", "0", "--max-gen-len", "16",
                "--no-timing", "--logprobs", "The capital of France is"};
        CliRunner.Run alone = CliRunner.run(args);
        assertThat(alone.exit()).as(alone.stderr()).isZero();
        Result two = mpirun(2, args);
        assertThat(two.exit()).as(two.stderr()).isZero();
        // the logprobs differ in the last printed digits at most: the tokens must be the same
        assertThat(tokens(two.stdout())).isEqualTo(tokens(alone.stdout())).isNotEmpty();
    }

    @Test
    void aMissingModelIsOneLineErrorAndEveryRankEnds() throws Exception {
        Result r = mpirun(2, "complete", "-m", dir.resolve("nothing-here").toString(), "hello");
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr().lines().filter(l -> l.startsWith("llama3j:")).toList())
                .containsExactly("llama3j: model path " + dir.resolve("nothing-here") + " does not exist");
        assertThat(r.stdout()).isEmpty();
    }

    /** Rank r reads only consolidated.r.pth: a shard copied over another is found by the ranks' fingerprints. */
    @Test
    void aShardCopiedOverAnotherIsAnError() throws Exception {
        Path source = SharedData.require("fixtures/meta/tiny-sv-meta-mp2");
        Path copy = Files.createDirectory(dir.resolve("mp2"));
        for (String f : new String[] {"params.json", "consolidated.00.pth"}) {
            Files.copy(source.resolve(f), copy.resolve(f));
        }
        Files.copy(source.resolve("consolidated.00.pth"), copy.resolve("consolidated.01.pth"));
        Result bad = mpirun(2, "bench", "-m", copy.toString(), "-p", "4", "-n", "2", "-r", "1");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.stderr().lines().filter(l -> l.startsWith("llama3j:")).toList()).singleElement()
                .asString().contains("consolidated.01.pth: is a copy of").contains("consolidated.00.pth");
    }

    /** Rank 1's own shard is broken: every rank ends, and rank 0 says why in one line. */
    @Test
    void aLoadThatFailsOnOneRankIsOneErrorLine() throws Exception {
        Path source = SharedData.require("fixtures/meta/tiny-sv-meta-mp2");
        Path broken = Files.createDirectory(dir.resolve("broken"));
        Files.copy(source.resolve("params.json"), broken.resolve("params.json"));
        Files.copy(source.resolve("consolidated.00.pth"), broken.resolve("consolidated.00.pth"));
        byte[] one = Files.readAllBytes(source.resolve("consolidated.01.pth"));
        Files.write(broken.resolve("consolidated.01.pth"), java.util.Arrays.copyOf(one, 1000));
        Result r = mpirun(2, "bench", "-m", broken.toString(), "-p", "4", "-n", "2", "-r", "1");
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr().lines().filter(l -> l.startsWith("llama3j:")).toList()).singleElement()
                .asString().startsWith("llama3j: rank 1: ").contains("consolidated.01.pth");
    }

    @Test
    void aKilledRankEndsTheWholeJob() throws Exception {
        Path model = SharedData.require("fixtures/meta/tiny-meta");
        int port = freePort();
        Process job = start(2, "serve", "-m", model.toString(), "--port", Integer.toString(port));
        try {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            boolean up = false;
            while (!up && System.nanoTime() < deadline && job.isAlive()) {
                try {
                    up = http.send(health, HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
                } catch (IOException e) {
                    Thread.sleep(200);
                }
            }
            assertThat(up).as("the server answered /health").isTrue();
            HttpRequest completion = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"prompt\":\"The capital of France is\",\"max_tokens\":16,\"temperature\":0}")).build();
            HttpResponse<String> answer = http.send(completion, HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).contains("\"completion_tokens\":16");
            ProcessHandle rank1 = rank(job, 1).orElseThrow(() -> new AssertionError("no process of rank 1"));
            rank1.destroyForcibly();
            assertThat(job.waitFor(60, TimeUnit.SECONDS)).as("mpirun ended after a rank died").isTrue();
            assertThat(job.exitValue()).isNotZero();
            assertThat(job.descendants().filter(ProcessHandle::isAlive).count()).isZero();
        } finally {
            job.descendants().forEach(ProcessHandle::destroyForcibly);
            job.destroyForcibly();
        }
    }

    /** The tokens of {@code complete --logprobs}: each line's quoted token, without its log-probability. */
    private static List<String> tokens(String stdout) {
        return stdout.lines().filter(l -> l.startsWith("  \"")).map(l -> l.substring(0, l.lastIndexOf('"') + 1))
                .toList();
    }

    /** The java process of {@code rank} among the job's descendants (Open MPI's rank variable in its environment). */
    private static Optional<ProcessHandle> rank(Process job, int rank) {
        return job.descendants().filter(p -> {
            try {
                String env = Files.readString(Path.of("/proc", Long.toString(p.pid()), "environ"),
                        StandardCharsets.ISO_8859_1);
                return List.of(env.split("\0")).contains("OMPI_COMM_WORLD_RANK=" + rank)
                        && p.info().command().orElse("").endsWith("java");
            } catch (IOException e) {
                return false;
            }
        }).findFirst();
    }

    private Result mpirun(int ranks, String... args) throws Exception {
        Process p = start(ranks, args);
        Path out = dir.resolve("job.out");
        Path err = dir.resolve("job.err");
        if (!p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("mpirun did not end in " + LIMIT_SECONDS + " s: " + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** mpirun with {@code ranks} processes of the CLI in this test's Java, classpath and module flags. */
    private Process start(int ranks, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of("mpirun", "--oversubscribe", "-np", Integer.toString(ranks)));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add("--allow-run-as-root");
        }
        cmd.addAll(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(dir.resolve("job.out").toFile()).redirectError(dir.resolve("job.err").toFile())
                .start();
    }

    private static int freePort() throws IOException {
        try (var s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
