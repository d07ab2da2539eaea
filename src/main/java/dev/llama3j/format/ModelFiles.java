package dev.llama3j.format;

import dev.llama3j.LlamaException;
import dev.llama3j.format.gguf.GgufModelLoader;
import dev.llama3j.format.hf.HfModelLoader;
import dev.llama3j.format.pth.MetaCheckpointLoader;
import dev.llama3j.model.LlamaWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Opens a model from what is at a path, detecting the format from the files there. */
public final class ModelFiles {
    private ModelFiles() {}

    /** The format of the model at a path. */
    public enum Format {
        /** a directory with params.json and consolidated.NN.pth */
        META,
        /** a Hugging Face directory: config.json and safetensors */
        HF,
        /** a single .gguf file */
        GGUF
    }

    public static Format detect(Path path) {
        if (!Files.exists(path)) {
            throw new LlamaException("model path " + path + " does not exist");
        }
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve("params.json")) && hasPth(path)) {
                return Format.META;
            }
            if (Files.isRegularFile(path.resolve("config.json"))) {
                return Format.HF;
            }
            if (Files.isDirectory(path.resolve("original")) && Files.isRegularFile(path.resolve("original/params.json"))) {
                throw new LlamaException(path + " holds Meta's checkpoint in original/: pass " + path.resolve("original"));
            }
            throw new LlamaException(path + ": no model found (expected params.json + consolidated.NN.pth,"
                    + " config.json + *.safetensors, or a .gguf file)");
        }
        if (isGguf(path)) {
            return Format.GGUF;
        }
        throw new LlamaException(path + ": not a model (expected a GGUF file or a checkpoint directory)");
    }

    public static LlamaWeights loadWeights(Path path) {
        return switch (detect(path)) {
            case META -> MetaCheckpointLoader.load(path);
            case HF -> HfModelLoader.load(path);
            case GGUF -> GgufModelLoader.load(path);
        };
    }

    private static boolean hasPth(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".pth"));
        } catch (IOException e) {
            throw new LlamaException("cannot list " + dir + ": " + e.getMessage());
        }
    }

    private static boolean isGguf(Path file) {
        try (var in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
        } catch (IOException e) {
            throw new LlamaException("cannot read " + file + ": " + e.getMessage());
        }
    }
}
