package dev.llama3j.conformance;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.LlamaException;
import dev.llama3j.model.LlamaWeights;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code llama3j conformance}: for every fixture of a {@code shared/fixtures} directory that llama3j can load, computes
 * the engine output JSON (FORMAT.md) into an output directory, compares it with the reference like compare.py does,
 * and reports.
 */
public final class ConformanceRunner {

    /** Opens a model from a fixture path (a directory or a file). */
    @FunctionalInterface
    public interface ModelOpener {
        LlamaWeights open(Path path);
    }

    /** Outcome for one fixture; {@code checks} is empty when it could not be loaded. */
    public record FixtureResult(String fixture, boolean loaded, String detail, List<Comparison.Check> checks) {
        public boolean passed() {
            return loaded && checks.stream().noneMatch(c -> c.status() == Comparison.Status.FAIL);
        }

        public List<String> failures() {
            return checks.stream().filter(c -> c.status() == Comparison.Status.FAIL).map(Object::toString).toList();
        }

        public double maxAbsErr() {
            return checks.stream().mapToDouble(Comparison.Check::absErr).max().orElse(0);
        }
    }

    private final ObjectMapper json = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(SerializationFeature.INDENT_OUTPUT);
    private final ModelOpener opener;

    public ConformanceRunner(ModelOpener opener) {
        this.opener = opener;
    }

    public List<FixtureResult> run(Path fixtures, Path outDir, Set<String> only, PrintStream log) throws IOException {
        Path manifestFile = fixtures.resolve("manifest.json");
        if (!Files.isRegularFile(manifestFile)) {
            throw new LlamaException(manifestFile + ": not found (expected a fixtures directory with manifest.json)");
        }
        JsonNode manifest = json.readTree(manifestFile.toFile());
        Files.createDirectories(outDir);
        List<FixtureResult> results = new ArrayList<>();
        for (JsonNode fx : manifest.get("fixtures")) {
            String name = fx.get("name").asText();
            if (!only.isEmpty() && !only.contains(name)) {
                continue;
            }
            FixtureResult r = runOne(fixtures, outDir, manifest, fx, name);
            results.add(r);
            if (log != null) {
                log.println(summaryLine(r));
                for (String f : r.failures()) {
                    log.println("      " + f);
                }
            }
        }
        return results;
    }

    private FixtureResult runOne(Path fixtures, Path outDir, JsonNode manifest, JsonNode fx, String name)
            throws IOException {
        Comparison.Tolerance tol = "quantized".equals(fx.path("tolerance_class").asText("float"))
                ? Comparison.Tolerance.QUANTIZED : Comparison.Tolerance.FLOAT;
        return run(fixtures, outDir, manifest, fixtures.resolve(fx.get("path").asText()), fx.get("ref").asText(), name, tol);
    }

    /**
     * Runs one model (any path llama3j loads, e.g. a file it converted) against one reference of
     * {@code fixtures/refs}, with the tolerances of {@code quantized} or of float fixtures; the engine output goes
     * to {@code outDir/<name>.json}.
     */
    public FixtureResult runModel(Path fixtures, Path model, String refId, boolean quantized, String name, Path outDir)
            throws IOException {
        JsonNode manifest = json.readTree(fixtures.resolve("manifest.json").toFile());
        if (!manifest.get("refs").has(refId)) {
            throw new LlamaException(fixtures.resolve("manifest.json") + ": no reference " + refId);
        }
        Files.createDirectories(outDir);
        return run(fixtures, outDir, manifest, model, refId, name,
                quantized ? Comparison.Tolerance.QUANTIZED : Comparison.Tolerance.FLOAT);
    }

    private FixtureResult run(Path fixtures, Path outDir, JsonNode manifest, Path model, String refId, String name,
                              Comparison.Tolerance tol) throws IOException {
        LlamaWeights weights;
        try {
            weights = opener.open(model);
        } catch (LlamaException e) {
            return new FixtureResult(name, false, e.getMessage(), List.of());
        }
        try (weights) {
            JsonNode ref = json.readTree(fixtures.resolve(manifest.get("refs").get(refId).get("file").asText()).toFile());
            ObjectNode out = new EngineOutput(json, weights).compute(name, ref, fixtures, outDir);
            json.writeValue(outDir.resolve(name + ".json").toFile(), out);
            return new FixtureResult(name, true, "", Comparison.compare(ref, out, fixtures, outDir, tol));
        }
    }

    static String summaryLine(FixtureResult r) {
        if (!r.loaded()) {
            return String.format("SKIP  %-24s not loadable yet: %s", r.fixture(), r.detail());
        }
        long warns = r.checks().stream().filter(c -> c.status() == Comparison.Status.WARN).count();
        return String.format("%-5s %-24s %d checks, max abs err %.3e%s", r.passed() ? "PASS" : "FAIL", r.fixture(),
                r.checks().size(), r.maxAbsErr(), warns > 0 ? " (" + warns + " near-tie warnings)" : "");
    }
}
