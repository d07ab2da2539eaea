package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.conformance.ConformanceRunner;
import dev.llama3j.format.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code llama3j conformance}: engine outputs for the reference fixtures, compared as compare.py does. */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = {"Checks the engine against the reference fixtures.",
                "Runs every loadable fixture of a fixtures folder (shared/fixtures), writes the engine output JSON "
                        + "of FORMAT.md to the --out folder and compares it with the references, with compare.py's "
                        + "tolerances."})
final class ConformanceCommand implements Callable<Integer> {

    @Option(names = "--fixtures", required = true, paramLabel = "DIR",
            description = "fixtures folder (with manifest.json)")
    Path fixtures;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "folder for the <fixture>.json outputs: created if missing; outputs already in it are "
                    + "overwritten")
    Path out;

    @Option(names = "--fixture", paramLabel = "NAME", description = "only this fixture (repeatable)")
    List<String> only = List.of();

    @Override
    public Integer call() throws Exception {
        createOutputFolder(out);
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

    /** --out is a folder: an existing one is used as it is, a missing one is created, a file is an error. */
    static void createOutputFolder(Path out) {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new LlamaException("--out " + out + " is a file; expected a folder (a missing one is created)");
        }
        try {
            Files.createDirectories(out);
        } catch (FileAlreadyExistsException e) {
            throw new LlamaException("--out " + out + ": cannot create the folder (" + e.getFile() + " is a file)");
        } catch (IOException e) {
            String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
            throw new LlamaException("--out " + out + ": cannot create the folder (" + reason + ")");
        }
    }
}
