package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.conformance.ConformanceRunner;
import dev.llama3j.format.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code llama3j conformance}: engine outputs for the reference fixtures, compared as compare.py does. */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = {"Runs every loadable fixture of a fixtures directory (shared/fixtures), writes the engine",
                "output JSON of FORMAT.md to --out and compares it with the references (compare.py's tolerances)."})
final class ConformanceCommand implements Callable<Integer> {

    @Option(names = "--fixtures", required = true, description = "fixtures directory (with manifest.json)")
    Path fixtures;

    @Option(names = "--out", required = true, description = "output directory for <fixture>.json files")
    Path out;

    @Option(names = "--fixture", description = "only this fixture (repeatable)")
    List<String> only = List.of();

    @Override
    public Integer call() throws Exception {
        List<ConformanceRunner.FixtureResult> results = new ConformanceRunner(ModelFiles::loadWeights)
                .run(fixtures, out, new HashSet<>(only), System.out);
        long loaded = results.stream().filter(ConformanceRunner.FixtureResult::loaded).count();
        long failed = results.stream().filter(r -> r.loaded() && !r.passed()).count();
        if (results.isEmpty()) {
            throw new LlamaException("no fixture matched " + only);
        }
        System.out.printf("%d fixtures: %d passed, %d failed, %d not loadable yet; outputs in %s%n",
                results.size(), loaded - failed, failed, results.size() - loaded, out);
        return failed == 0 ? 0 : 1;
    }
}
