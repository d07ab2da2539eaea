package dev.llama3j.download;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llama3j.LlamaException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transfer under both flows: resume, retries, checksums, free space, interrupts. */
class TransferTest {
    @TempDir
    Path dir;
    FakeHosts hosts;
    byte[] data;

    @BeforeEach
    void start() throws IOException {
        hosts = new FakeHosts();
        data = new byte[300_000];
        new Random(7).nextBytes(data);
        hosts.cdnFiles.put("big.bin", data);
    }

    @AfterEach
    void stop() {
        hosts.close();
    }

    RemoteFile big(Checksum sum) {
        return new RemoteFile("big.bin", URI.create(hosts.presignedUrl(FakeHosts.SIGNATURE).replace("*", "big.bin")),
                dir.resolve("big.bin"), data.length, sum);
    }

    @Test
    void aConnectionDroppedMidFileResumesWithARangeRequest() throws IOException {
        hosts.dropOnce.put("big.bin", 123_456);
        new Transfer(MetaDownloadTest.FAST, null, null).download(big(Checksum.sha256(FakeHosts.sha256(data))),
                DownloadListener.NONE);
        assertThat(Files.readAllBytes(dir.resolve("big.bin"))).isEqualTo(data);
        assertThat(hosts.log).filteredOn(l -> l.startsWith("GET cdn big.bin"))
                .containsExactly("GET cdn big.bin", "GET cdn big.bin bytes=123456-");
    }

    @Test
    void aPartFileFromAnEarlierRunIsResumedAndVerifiedWhole() throws IOException {
        Files.write(dir.resolve("big.bin.part"), java.util.Arrays.copyOf(data, 100_000));
        new Transfer(MetaDownloadTest.FAST, null, null).download(big(Checksum.md5(FakeHosts.md5(data))),
                DownloadListener.NONE);
        assertThat(Files.readAllBytes(dir.resolve("big.bin"))).isEqualTo(data);
        assertThat(hosts.log).filteredOn(l -> l.startsWith("GET")).containsExactly("GET cdn big.bin bytes=100000-");
    }

    @Test
    void aCorruptPartFileFailsTheChecksumAndIsDeleted() throws IOException {
        byte[] wrong = java.util.Arrays.copyOf(data, 100_000);
        wrong[10] ^= 1;
        Files.write(dir.resolve("big.bin.part"), wrong);
        assertThatThrownBy(() -> new Transfer(MetaDownloadTest.FAST, null, null)
                .download(big(Checksum.md5(FakeHosts.md5(data))), DownloadListener.NONE))
                .isInstanceOf(LlamaException.class).hasMessageStartingWith("big.bin: MD5 ");
        assertThat(dir.resolve("big.bin.part")).doesNotExist();
        assertThat(dir.resolve("big.bin")).doesNotExist();
    }

    @Test
    void aRangeAnswerShorterThanAskedIsCompletedByFurtherRanges() throws IOException {
        Files.write(dir.resolve("big.bin.part"), java.util.Arrays.copyOf(data, 1000));
        hosts.rangeCap.put("big.bin", 120_000);
        new Transfer(MetaDownloadTest.FAST, null, null).download(big(Checksum.sha256(FakeHosts.sha256(data))),
                DownloadListener.NONE);
        assertThat(Files.readAllBytes(dir.resolve("big.bin"))).isEqualTo(data);
        assertThat(hosts.log).filteredOn(l -> l.startsWith("GET")).containsExactly("GET cdn big.bin bytes=1000-",
                "GET cdn big.bin bytes=121000-", "GET cdn big.bin bytes=241000-");
    }

    @Test
    void aSecondDownloadOfTheSameFileIsRefusedWhileTheFirstWrites() throws Exception {
        hosts.slow.put("big.bin", true);
        AtomicLong seen = new AtomicLong();
        Transfer t = new Transfer(MetaDownloadTest.FAST, null, null);
        Thread first = Thread.ofPlatform().start(() -> {
            try {
                t.download(big(null), new DownloadListener() {
                    @Override
                    public void progressed(RemoteFile file, long done) {
                        seen.set(done);
                    }
                });
            } catch (RuntimeException e) {
                // interrupted below
            }
        });
        while (seen.get() < 20_000) {
            Thread.sleep(5);
        }
        assertThatThrownBy(() -> t.download(big(null), DownloadListener.NONE)).isInstanceOf(LlamaException.class)
                .hasMessage(dir.resolve("big.bin.part") + ": another download is writing this file; wait for it, "
                        + "or stop it");
        first.interrupt();
        first.join(10_000);
    }

    @Test
    void transientErrorsAreRetriedThenReportedAsResumable() {
        hosts.failTimes.put("big.bin", 2);
        new Transfer(MetaDownloadTest.FAST, null, null).download(big(null), DownloadListener.NONE);
        assertThat(dir.resolve("big.bin")).exists();

        hosts.failTimes.put("other", 99);
        hosts.cdnFiles.put("other", data);
        RemoteFile other = new RemoteFile("other", URI.create(hosts.presignedUrl(FakeHosts.SIGNATURE)
                .replace("*", "other")), dir.resolve("other"), data.length, null);
        assertThatThrownBy(() -> new Transfer(MetaDownloadTest.FAST, null, null).download(other, DownloadListener.NONE))
                .isInstanceOf(LlamaException.class)
                .hasMessage("other: HTTP 503 (gave up after 4 attempts; run the same command again to resume)");
    }

    @Test
    void notEnoughFreeSpaceIsRefusedBeforeAnyByteIsFetched() {
        Transfer t = new Transfer(MetaDownloadTest.FAST.withUsableSpace(p -> 200_000), null, null);
        assertThatThrownBy(() -> t.downloadAll(List.of(big(null)), DownloadListener.NONE))
                .isInstanceOf(LlamaException.class)
                .hasMessage("not enough disk space in " + dir.toAbsolutePath() + ": the download needs 300 kB more, "
                        + "200 kB are free");
        assertThat(hosts.log).isEmpty();
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void anInterruptLeavesAPartFileThatTheNextRunCompletes() throws Exception {
        hosts.slow.put("big.bin", true);
        AtomicLong seen = new AtomicLong();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Transfer t = new Transfer(MetaDownloadTest.FAST, null, null);
        Thread worker = Thread.ofPlatform().start(() -> {
            try {
                t.downloadAll(List.of(big(Checksum.sha256(FakeHosts.sha256(data)))), new DownloadListener() {
                    @Override
                    public void progressed(RemoteFile file, long done) {
                        seen.set(done);
                    }
                });
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        while (seen.get() < 50_000) {
            Thread.sleep(5);
        }
        worker.interrupt();
        worker.join(10_000);
        assertThat(worker.isAlive()).isFalse();
        assertThat(thrown.get()).isInstanceOf(DownloadInterruptedException.class);
        long kept = Files.size(dir.resolve("big.bin.part"));
        assertThat(kept).isBetween(50_000L, (long) data.length - 1);
        assertThat(dir.resolve("big.bin")).doesNotExist();

        hosts.slow.clear();
        hosts.log.clear();
        t.download(big(Checksum.sha256(FakeHosts.sha256(data))), DownloadListener.NONE);
        assertThat(Files.readAllBytes(dir.resolve("big.bin"))).isEqualTo(data);
        assertThat(hosts.log).filteredOn(l -> l.startsWith("GET"))
                .containsExactly("GET cdn big.bin bytes=" + kept + "-");
    }
}
