package dev.llama3j.cli;

import dev.llama3j.download.Bytes;
import dev.llama3j.download.HubSettings;
import dev.llama3j.download.LocalModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code llama3j list}: the models on this machine, Ollama's {@code list}. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = {"Lists the models on this machine.",
                "Those in the Hugging Face cache (HF_HOME), in ~/.llama/checkpoints (llama-models' layout) and in "
                        + "the current folder, with format, weight type and size. The NAME column is what -m takes."})
final class ListCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = ".", paramLabel = "DIR",
            description = "the folder to look in besides the caches (default: the current one)")
    Path dir;

    @Override
    public Integer call() {
        HubSettings hub = HubSettings.fromEnvironment();
        List<LocalModels.Entry> all = new ArrayList<>(LocalModels.inHubCache(hub.cacheDir()));
        all.addAll(LocalModels.inCheckpoints(Path.of(System.getProperty("user.home"), ".llama", "checkpoints")));
        all.addAll(LocalModels.inFolder(dir));
        int width = Math.max(4, all.stream().mapToInt(e -> e.name().length()).max().orElse(4));
        String row = "%-" + width + "s  %-6s  %-8s  %9s  %s%n";
        System.out.printf(row, "NAME", "FORMAT", "TYPE", "SIZE", "PATH");
        for (LocalModels.Entry e : all) {
            System.out.printf(row, e.name(), e.format(), e.type(), Bytes.human(e.bytes()), e.path());
        }
        if (all.isEmpty()) {
            System.err.println("llama3j: no models in " + hub.cacheDir() + ", ~/.llama/checkpoints or " + dir
                    + "; llama3j download fetches one");
        }
        return 0;
    }
}
