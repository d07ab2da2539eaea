package dev.llama3j.conformance;

import dev.llama3j.SharedData;
import dev.llama3j.format.ModelFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every fixture of shared/fixtures against the outputs of Meta's model.py/generation.py: forward logits, incremental
 * decoding through the KV cache, batched generation and nucleus sets, with compare.py's tolerances. Then compare.py
 * itself checks the same output files, where Python with numpy is available.
 */
@Tag("slow")
class ConformanceTest {
    @TempDir
    static Path out;
    static Path fixtures;
    static List<ConformanceRunner.FixtureResult> results;

    @BeforeAll
    static void runAllFixtures() throws IOException {
        fixtures = SharedData.require("fixtures");
        results = new ConformanceRunner(ModelFiles::loadWeights).run(fixtures, out, Set.of(), System.out);
    }

    @Test
    void everyFixtureLoadsAndMatchesTheReference() {
        assertThat(results).hasSizeGreaterThanOrEqualTo(17);
        for (ConformanceRunner.FixtureResult r : results) {
            assertThat(r.loaded()).as(r.fixture() + ": " + r.detail()).isTrue();
            assertThat(r.failures()).as(r.fixture()).isEmpty();
            assertThat(r.checks()).as(r.fixture()).hasSizeGreaterThanOrEqualTo(12);
        }
    }

    @Test
    void comparePyAgreesWhereAvailable() throws Exception {
        Process probe;
        try {
            probe = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
        } catch (IOException e) {
            skip("SKIPPED: python3 is not available to run compare.py");
            return;
        }
        if (!probe.waitFor(60, TimeUnit.SECONDS) || probe.exitValue() != 0) {
            skip("SKIPPED: python3 with numpy is not available to run compare.py");
        }
        Process p = new ProcessBuilder("python3", fixtures.resolve("compare.py").toString(), "--fixtures",
                fixtures.toString(), "--outputs", out.toString(), "--strict").redirectErrorStream(true).start();
        String report = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(report).isZero();
        assertThat(report).contains("RESULT: PASS").contains(" 0 failed");
        assertThat(Files.list(out).filter(f -> f.toString().endsWith(".json")).count()).isEqualTo(results.size());
    }

    /** Skips the calling test, visibly: the message on stderr and as JUnit's reason. */
    private static void skip(String message) {
        System.err.println(message);
        Assumptions.abort(message);
    }
}
