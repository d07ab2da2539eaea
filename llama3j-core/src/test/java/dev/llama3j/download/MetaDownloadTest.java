package dev.llama3j.download;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llama3j.LlamaException;
import dev.llama3j.format.pth.Checklist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Meta's presigned-URL flow against a local CDN that checks the signature as Meta's does. */
class MetaDownloadTest {
    static final TransferOptions FAST = TransferOptions.defaults().withRetries(4, Duration.ofMillis(10))
            .withTimeout(Duration.ofSeconds(10));

    @TempDir
    Path dir;
    FakeHosts hosts;
    final List<String> lines = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        hosts = new FakeHosts();
        hosts.cdnFiles.put("LICENSE", "META LLAMA 3 COMMUNITY LICENSE AGREEMENT\n".getBytes(StandardCharsets.UTF_8));
        hosts.cdnFiles.put("USE_POLICY", "Meta Llama 3 Acceptable Use Policy\n".getBytes(StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        hosts.close();
    }

    /** A model folder on the CDN: random shards, params.json, tokenizer.model and their checklist. */
    static List<byte[]> publish(FakeHosts hosts, String remote, int shards, int shardBytes) {
        Random r = new Random(remote.hashCode());
        List<byte[]> files = new ArrayList<>();
        StringBuilder checklist = new StringBuilder();
        for (int s = 0; s < shards; s++) {
            byte[] b = new byte[shardBytes];
            r.nextBytes(b);
            String name = String.format("consolidated.%02d.pth", s);
            hosts.cdnFiles.put(remote + "/" + name, b);
            checklist.append(FakeHosts.md5(b)).append("  ").append(name).append('\n');
            files.add(b);
        }
        byte[] params = "{\"dim\": 4096}".getBytes(StandardCharsets.UTF_8);
        byte[] tok = "dG9rZW4= 0\n".getBytes(StandardCharsets.UTF_8);
        hosts.cdnFiles.put(remote + "/params.json", params);
        hosts.cdnFiles.put(remote + "/tokenizer.model", tok);
        checklist.append(FakeHosts.md5(params)).append("  params.json\n");
        checklist.append(FakeHosts.md5(tok)).append("  tokenizer.model\n");
        hosts.cdnFiles.put(remote + "/checklist.chk", checklist.toString().getBytes(StandardCharsets.US_ASCII));
        return files;
    }

    @Test
    void downloadsSeventyBShardsAndLicenseAsDownloadShDoes() throws IOException {
        List<byte[]> shards = publish(hosts, "70b_instruction_tuned", 8, 50_000);
        List<Path> folders = new MetaDownload(hosts.presignedUrl(FakeHosts.SIGNATURE), FAST, lines::add)
                .run(MetaDownload.parseModels("70b-Instruct"), dir, DownloadListener.NONE);

        Path folder = dir.resolve("Meta-Llama-3-70B-Instruct");
        assertThat(folders).containsExactly(folder);
        for (int s = 0; s < 8; s++) {
            assertThat(Files.readAllBytes(folder.resolve(String.format("consolidated.%02d.pth", s))))
                    .isEqualTo(shards.get(s));
        }
        assertThat(dir.resolve("LICENSE")).hasContent("META LLAMA 3 COMMUNITY LICENSE AGREEMENT");
        assertThat(dir.resolve("USE_POLICY")).exists();
        assertThat(Checklist.verify(folder)).containsExactly("consolidated.00.pth", "consolidated.01.pth",
                "consolidated.02.pth", "consolidated.03.pth", "consolidated.04.pth", "consolidated.05.pth",
                "consolidated.06.pth", "consolidated.07.pth", "params.json", "tokenizer.model");
        assertThat(lines).containsExactly("Downloading LICENSE and Acceptable Usage Policy",
                "Downloading 70b_instruction_tuned", "Checking checksums: 10 files match checklist.chk");
        try (var files = Files.walk(dir)) {
            assertThat(files.filter(p -> p.toString().endsWith(".part"))).isEmpty();
        }
    }

    @Test
    void modelNamesFollowTheScript() {
        assertThat(MetaDownload.parseModels("")).hasSize(4);
        assertThat(MetaDownload.parseModels("8b,8B-Instruct").stream().map(MetaDownload.Model::folder))
                .containsExactly("Meta-Llama-3-8B", "Meta-Llama-3-8B-Instruct");
        assertThatThrownBy(() -> MetaDownload.parseModels("8B,13B")).isInstanceOf(LlamaException.class)
                .hasMessageContaining("unknown model '13B'");
    }

    @Test
    void anExpiredLinkIsOneLineWithoutTheSignature() {
        publish(hosts, "8b_pre_trained", 1, 1000);
        String expired = hosts.presignedUrl("expired-signature");
        assertThatThrownBy(() -> new MetaDownload(expired, FAST, lines::add)
                .run(MetaDownload.parseModels("8B"), dir, DownloadListener.NONE))
                .isInstanceOf(LlamaException.class)
                .hasMessageContaining("HTTP 403").hasMessageContaining("expire")
                .hasMessageNotContaining("expired-signature").hasMessageNotContaining("Policy=");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void aUrlWithoutAStarIsRefused() {
        assertThatThrownBy(() -> new MetaDownload("https://download.llamameta.net/x?Signature=abc", FAST, lines::add))
                .isInstanceOf(LlamaException.class).hasMessageContaining("'*'").hasMessageNotContaining("abc");
    }

    @Test
    void aWrongMd5KeepsTheUsersFileAndNamesTheDownload() throws IOException {
        publish(hosts, "8b_pre_trained", 1, 10_000);
        byte[] good = hosts.cdnFiles.get("8b_pre_trained/consolidated.00.pth");
        byte[] corrupt = good.clone();
        corrupt[5000] ^= 1;
        hosts.cdnFiles.put("8b_pre_trained/consolidated.00.pth", corrupt);
        Path folder = dir.resolve("Meta-Llama-3-8B");
        Files.createDirectories(folder);
        byte[] mine = new byte[10_000];
        Files.write(folder.resolve("consolidated.00.pth"), mine);

        assertThatThrownBy(() -> new MetaDownload(hosts.presignedUrl(FakeHosts.SIGNATURE), FAST, lines::add)
                .run(MetaDownload.parseModels("8B"), dir, DownloadListener.NONE))
                .isInstanceOf(LlamaException.class)
                .hasMessageContaining("8b_pre_trained/consolidated.00.pth: MD5 " + FakeHosts.md5(corrupt))
                .hasMessageContaining("does not match the expected " + FakeHosts.md5(good));
        assertThat(Files.readAllBytes(folder.resolve("consolidated.00.pth"))).isEqualTo(mine);
        assertThat(folder.resolve("consolidated.00.pth.part")).doesNotExist();
        assertThat(folder.resolve("checklist.chk")).doesNotExist();
    }

    @Test
    void aSecondRunFetchesNothingPresentAndVerified() throws IOException {
        publish(hosts, "8b_pre_trained", 1, 20_000);
        MetaDownload meta = new MetaDownload(hosts.presignedUrl(FakeHosts.SIGNATURE), FAST, lines::add);
        meta.run(MetaDownload.parseModels("8B"), dir, DownloadListener.NONE);
        hosts.log.clear();
        meta.run(MetaDownload.parseModels("8B"), dir, DownloadListener.NONE);
        assertThat(hosts.log).noneMatch(l -> l.startsWith("GET cdn 8b_pre_trained/consolidated"));
    }
}
