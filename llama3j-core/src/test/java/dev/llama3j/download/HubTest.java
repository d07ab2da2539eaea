package dev.llama3j.download;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llama3j.LlamaException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hub's protocol and cache layout against a local hub and CDN. */
class HubTest {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path home;
    FakeHosts hosts;
    byte[] q4;
    byte[] q8;
    byte[] readme;

    @BeforeEach
    void start() throws IOException {
        hosts = new FakeHosts();
        Random r = new Random(3);
        q4 = new byte[70_000];
        q8 = new byte[90_000];
        r.nextBytes(q4);
        r.nextBytes(q8);
        readme = "# a model\n".getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("README.md", readme);
        files.put("Llama-3.2-1B-Instruct-Q4_K_M.gguf", q4);
        files.put("Llama-3.2-1B-Instruct-Q8_0.gguf", q8);
        hosts.addRepo("bartowski/Llama-3.2-1B-Instruct-GGUF", COMMIT, files, false);
        Map<String, byte[]> gated = new LinkedHashMap<>();
        gated.put("config.json", "{}".getBytes(StandardCharsets.UTF_8));
        gated.put("original/params.json", "{\"dim\":2048}".getBytes(StandardCharsets.UTF_8));
        gated.put("original/consolidated.00.pth", q8);
        hosts.addRepo("meta-llama/Llama-3.2-1B-Instruct", COMMIT.replace('0', 'e'), gated, true);
    }

    @AfterEach
    void stop() {
        hosts.close();
    }

    Hub hub(String token) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HF_ENDPOINT", hosts.hubUri() + "/");
        env.put("HF_HOME", home.resolve("hf").toString());
        if (token != null) {
            env.put("HF_TOKEN", token);
        }
        return new Hub(HubSettings.fromEnvironment(env, home), MetaDownloadTest.FAST);
    }

    @Test
    void downloadsIntoTheSharedCacheLayout() throws IOException {
        Hub hub = hub("hf_any_token");
        Hub.Listing listing = hub.list("bartowski/Llama-3.2-1B-Instruct-GGUF", "main");
        assertThat(listing.commit()).isEqualTo(COMMIT);
        Path snap = hub.download(listing, "main", List.of("*Q4_K_M.gguf", "README.md"), null, DownloadListener.NONE);

        Path repo = home.resolve("hf/hub/models--bartowski--Llama-3.2-1B-Instruct-GGUF");
        assertThat(snap).isEqualTo(repo.resolve("snapshots/" + COMMIT));
        Path gguf = snap.resolve("Llama-3.2-1B-Instruct-Q4_K_M.gguf");
        assertThat(Files.isSymbolicLink(gguf)).isTrue();
        assertThat(Files.readSymbolicLink(gguf).toString()).isEqualTo("../../blobs/" + FakeHosts.sha256(q4));
        assertThat(Files.readAllBytes(gguf)).isEqualTo(q4);
        assertThat(Files.readSymbolicLink(snap.resolve("README.md")).toString())
                .isEqualTo("../../blobs/" + FakeHosts.gitSha1(readme));
        assertThat(repo.resolve("refs/main")).hasContent(COMMIT);
        assertThat(snap.resolve("Llama-3.2-1B-Instruct-Q8_0.gguf")).doesNotExist();
        // the token goes to the hub, never to the CDN the hub redirects to
        assertThat(hosts.log).filteredOn(l -> l.contains(" cdn ")).isNotEmpty().noneMatch(l -> l.endsWith(" auth"));
        assertThat(hosts.log).filteredOn(l -> l.contains(" hub ")).allMatch(l -> l.endsWith(" auth"));
    }

    @Test
    void aGatedRepoNeedsTheTokenAndSaysSo() {
        assertThatThrownBy(() -> {
            Hub hub = hub(null);
            hub.download(hub.list("meta-llama/Llama-3.2-1B-Instruct", "main"), "main", List.of("original/*"),
                    home.resolve("out"), DownloadListener.NONE);
        }).isInstanceOf(LlamaException.class)
                .hasMessage("meta-llama/Llama-3.2-1B-Instruct is gated (HTTP 401): accept its license at "
                        + hosts.hubUri() + "/meta-llama/Llama-3.2-1B-Instruct, then set HF_TOKEN to a token of that "
                        + "account (or run huggingface-cli login)");
    }

    @Test
    void aLocalDirGetsTheIncludedFilesAndHuggingFaceMetadata() throws IOException {
        Hub hub = hub(FakeHosts.TOKEN);
        Path out = home.resolve("Llama-3.2-1B-Instruct");
        Hub.Listing listing = hub.list("meta-llama/Llama-3.2-1B-Instruct", "main");
        hub.download(listing, "main", List.of("original/*"), out, DownloadListener.NONE);
        assertThat(Files.readAllBytes(out.resolve("original/consolidated.00.pth"))).isEqualTo(q8);
        assertThat(out.resolve("original/params.json")).hasContent("{\"dim\":2048}");
        assertThat(out.resolve("config.json")).doesNotExist();
        assertThat(Files.readAllLines(out.resolve(".cache/huggingface/download/original/consolidated.00.pth.metadata"))
                .subList(0, 2)).containsExactly(listing.commit(), FakeHosts.sha256(q8));

        hosts.log.clear();
        hub.download(listing, "main", List.of("original/*"), out, DownloadListener.NONE);
        assertThat(hosts.log).noneMatch(l -> l.startsWith("GET"));
    }

    @Test
    void aBlobThatDoesNotMatchItsSha256IsRefused() {
        byte[] tampered = q4.clone();
        tampered[0] ^= 1;
        hosts.cdnFiles.put("blobs/" + FakeHosts.sha256(q4), tampered);
        Hub hub = hub(null);
        assertThatThrownBy(() -> hub.download(hub.list("bartowski/Llama-3.2-1B-Instruct-GGUF", "main"), "main",
                List.of("*Q4_K_M*"), null, DownloadListener.NONE))
                .isInstanceOf(LlamaException.class)
                .hasMessageContaining("bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf: "
                        + "SHA-256 " + FakeHosts.sha256(tampered) + " does not match the expected "
                        + FakeHosts.sha256(q4));
    }

    @Test
    void anUnknownRepoAndAnUnmatchedPatternAreOneLine() {
        Hub hub = hub(null);
        assertThatThrownBy(() -> hub.list("nobody/nothing", "main")).isInstanceOf(LlamaException.class)
                .hasMessage("repository nobody/nothing not found on " + hosts.hubUri()
                        + " (a private one needs HF_TOKEN)");
        assertThatThrownBy(() -> hub.download(hub.list("bartowski/Llama-3.2-1B-Instruct-GGUF", "main"), "main",
                List.of("*Q2_K*"), null, DownloadListener.NONE)).isInstanceOf(LlamaException.class)
                .hasMessage("bartowski/Llama-3.2-1B-Instruct-GGUF: no file matches *Q2_K* (the repository has 3 "
                        + "files)");
        assertThatThrownBy(() -> hub.list("../etc", "main")).isInstanceOf(LlamaException.class)
                .hasMessageContaining("not a Hugging Face repository id");
    }

    @Test
    void aReferenceDownloadsOnFirstUseThenResolvesFromTheCacheAlone() {
        ModelReference ref = ModelReference.parse("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:q8_0").orElseThrow();
        assertThat(ref).isEqualTo(new ModelReference("bartowski/Llama-3.2-1B-Instruct-GGUF", "q8_0"));
        Hub hub = hub(null);
        Path first = ref.resolve(hub, DownloadListener.NONE, line -> {});
        assertThat(first.getFileName().toString()).isEqualTo("Llama-3.2-1B-Instruct-Q8_0.gguf");
        hosts.close();
        Path again = ref.resolve(hub, DownloadListener.NONE, line -> {});
        assertThat(again).isEqualTo(first);
        // the default quantization is Q4_K_M, which is not cached yet: with the hub gone, that is an error
        assertThatThrownBy(() -> ModelReference.parse("bartowski/Llama-3.2-1B-Instruct-GGUF").orElseThrow()
                .resolve(hub, DownloadListener.NONE, line -> {})).isInstanceOf(LlamaException.class);
    }

    @Test
    void referencesAreRepoIdsWithAnOptionalQuant() {
        assertThat(ModelReference.parse("meta-llama/Llama-3.2-1B-Instruct"))
                .contains(new ModelReference("meta-llama/Llama-3.2-1B-Instruct", null));
        assertThat(ModelReference.parse("/tmp/model.gguf")).isEmpty();
        assertThat(ModelReference.parse("model.gguf")).isEmpty();
        assertThat(ModelReference.parse("models/llama.gguf")).as("a mistyped local file").isEmpty();
        assertThat(ModelReference.parse("a/b/c")).isEmpty();
        assertThat(ModelReference.parse("../x")).isEmpty();
        assertThat(ModelReference.parse("org/na..me")).isEmpty();
        assertThat(Optional.of(new ModelReference("a/b", "Q4_0").toString())).contains("a/b:Q4_0");
    }

    @Test
    void quantTagsMatchWholeWords() {
        List<String> files = List.of("m-Q4_K_M.gguf", "m-Q4_K_S.gguf", "m-Q4_0.gguf", "mmproj-m-f16.gguf",
                "m-IQ4_XS.gguf");
        assertThat(new ModelReference("a/b", "Q4_K").pick(files, true)).isNull();
        assertThat(new ModelReference("a/b", null).pick(files, true)).hasToString("m-Q4_K_M.gguf");
        assertThat(new ModelReference("a/b", "q4_0").pick(files, true)).hasToString("m-Q4_0.gguf");
        assertThatThrownBy(() -> new ModelReference("a/b", "Q5_K_M").pick(files, false))
                .hasMessage("a/b has no Q5_K_M file; name one of its quantizations as a/b:QUANT: Q4_K_M, Q4_K_S, "
                        + "Q4_0, IQ4_XS");
        assertThatThrownBy(() -> new ModelReference("a/b", "Q8_0")
                .pick(List.of("q8/m-Q8_0-00001-of-00002.gguf", "q8/m-Q8_0-00002-of-00002.gguf"), false))
                .hasMessageContaining("is split into 2 files");
    }

    @Test
    void globsFollowFnmatch() {
        assertThat(Glob.anyMatches(List.of("original/*"), "original/params.json")).isTrue();
        assertThat(Glob.anyMatches(List.of("original/*"), "config.json")).isFalse();
        assertThat(Glob.anyMatches(List.of("*.json"), "original/params.json")).isTrue();
        assertThat(Glob.anyMatches(List.of("original/"), "original/x/y.pth")).isTrue();
        assertThat(Glob.anyMatches(List.of("model-0000?-of-*.safetensors"), "model-00001-of-00004.safetensors"))
                .isTrue();
        assertThat(Glob.anyMatches(List.of("[!m]*.gguf"), "model.gguf")).isFalse();
        assertThat(Glob.anyMatches(List.of("[mn]odel.gguf"), "nodel.gguf")).isTrue();
        assertThat(Glob.anyMatches(List.of("a+b(c).json"), "a+b(c).json")).isTrue();
        assertThat(Glob.anyMatches(List.of(), "anything")).isTrue();
        assertThat(Glob.anyMatches(List.of("[[]x"), "[x")).isTrue();
        assertThat(Glob.anyMatches(List.of("[a&&b]"), "&")).isTrue();
    }
}
