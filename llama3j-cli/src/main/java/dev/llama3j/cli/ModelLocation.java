package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.download.DownloadInterruptedException;
import dev.llama3j.download.DownloadListener;
import dev.llama3j.download.Hub;
import dev.llama3j.download.HubSettings;
import dev.llama3j.download.ModelReference;
import dev.llama3j.download.TransferOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code -m} names: a local path when one exists, else a hub reference ({@code org/name[:QUANT]}) resolved in
 * the Hugging Face cache and downloaded on first use, with progress on stderr.
 */
final class ModelLocation {
    private ModelLocation() {}

    static Path resolve(Path given) {
        Optional<ModelReference> ref = reference(given);
        if (ref.isEmpty()) {
            return given;
        }
        Hub hub = new Hub(HubSettings.fromEnvironment(), TransferOptions.defaults());
        DownloadListener progress = DownloadProgress.forStderr();
        try {
            return ref.get().resolve(hub, progress, System.err::println);
        } catch (DownloadInterruptedException e) {
            throw e;
        } catch (LlamaException e) {
            throw new LlamaException("model path " + given + " does not exist; as a Hugging Face repository: "
                    + e.getMessage(), e);
        }
    }

    /** The model's name for messages, the served model id and guard version detection. */
    static String name(Path given) {
        Optional<ModelReference> ref = reference(given);
        if (ref.isPresent()) {
            return ref.get().toString();
        }
        Path name = given.toAbsolutePath().normalize().getFileName();
        return name == null ? given.toString() : name.toString();
    }

    private static Optional<ModelReference> reference(Path given) {
        return given == null || Files.exists(given) ? Optional.empty() : ModelReference.parse(given.toString());
    }
}
