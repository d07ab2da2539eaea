package dev.llama3j.download;

import dev.llama3j.LlamaException;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model named by its hub repository, as Ollama and llama.cpp's {@code -hf} take one: {@code org/name} (a Hugging
 * Face folder: config.json, safetensors, tokenizer) or {@code org/name:QUANT} for a GGUF repository (the file whose
 * name ends in that quantization, {@code Q4_K_M} when none is named), with an optional {@code hf.co/} prefix. It
 * resolves in the cache without the network when the files are there, and is downloaded otherwise.
 */
public record ModelReference(String repo, String tag) {
    public static final String DEFAULT_QUANT = "Q4_K_M";
    private static final Pattern REF = Pattern.compile(
            "(?:(?:https?:/+)?(?:hf\\.co|huggingface\\.co)/)?([A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+)"
                    + "(?::([A-Za-z0-9_.-]+))?");
    /** The files a Hugging Face folder needs to load (Meta's original/ copy is left out: it doubles the size). */
    private static final List<String> HF_FILES = List.of("config.json", "generation_config.json", "*.safetensors",
            "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");

    /** The reference {@code text} names, or empty when it does not look like one. */
    public static Optional<ModelReference> parse(String text) {
        Matcher m = REF.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        String repo = m.group(1);
        if (repo.toLowerCase(Locale.ROOT).matches(".*\\.(gguf|pth|json|safetensors|model)")) {
            return Optional.empty();
        }
        try {
            HubCache.checkRepoId(repo);
        } catch (LlamaException e) {
            return Optional.empty();
        }
        return Optional.of(new ModelReference(repo, m.group(2)));
    }

    @Override
    public String toString() {
        return tag == null ? repo : repo + ":" + tag;
    }

    /**
     * The local path of the model: the cached file or folder when present, else downloaded through {@code hub}
     * first ({@code log} hears one line when a download starts).
     */
    public Path resolve(Hub hub, DownloadListener listener, Consumer<String> log) {
        HubCache cache = hub.cache();
        String commit = cache.commitOf(repo, "main");
        if (commit != null) {
            List<String> cached = cache.files(repo, commit);
            Path found = pick(cached, true);
            if (found != null) {
                return cache.snapshot(repo, commit).resolve(found.toString());
            }
        }
        Hub.Listing listing = hub.list(repo, "main");
        List<String> paths = listing.files().stream().map(Hub.RepoFile::path).toList();
        Path chosen = pick(paths, false);
        log.accept("llama3j: downloading " + this + " from " + hub.settings().endpoint() + " into "
                + cache.repoDir(repo));
        List<String> include = chosen.toString().isEmpty() ? HF_FILES : List.of(chosen.toString());
        Path snapshot = hub.download(listing, "main", include, null, listener);
        return chosen.toString().isEmpty() ? snapshot : snapshot.resolve(chosen.toString());
    }

    /**
     * Which files the reference means among {@code paths}: a GGUF file's path, or the empty path for the folder
     * itself (a Hugging Face checkpoint). With {@code cachedOnly} ({@code paths} is what the cache holds, not the
     * whole repository), null when that is not enough to decide.
     */
    Path pick(List<String> paths, boolean cachedOnly) {
        List<String> ggufs = paths.stream().filter(p -> p.toLowerCase(Locale.ROOT).endsWith(".gguf"))
                .filter(p -> !p.toLowerCase(Locale.ROOT).contains("mmproj")).toList();
        if (ggufs.isEmpty()) {
            if (tag != null) {
                if (cachedOnly) {
                    return null;
                }
                throw new LlamaException(repo + " has no GGUF file, so no quantization ':" + tag + "' to choose");
            }
            if (paths.contains("config.json")) {
                return cachedOnly && paths.stream().noneMatch(p -> p.endsWith(".safetensors")) ? null : Path.of("");
            }
            if (cachedOnly) {
                return null;
            }
            throw new LlamaException(repo + " holds neither GGUF files nor a Hugging Face checkpoint (config.json)");
        }
        String wanted = (tag == null ? DEFAULT_QUANT : tag).toUpperCase(Locale.ROOT);
        List<String> matches = ggufs.stream().filter(p -> hasQuant(p, wanted)).toList();
        if (matches.isEmpty() && tag == null && ggufs.size() == 1 && !cachedOnly) {
            matches = ggufs;
        }
        if (matches.size() == 1) {
            return Path.of(matches.getFirst());
        }
        if (cachedOnly) {
            return null;
        }
        if (matches.isEmpty()) {
            throw new LlamaException(repo + " has no " + wanted + " file; name one of its quantizations as "
                    + repo + ":QUANT: " + String.join(", ", ggufs.stream().map(ModelReference::quantOf).distinct()
                    .toList()));
        }
        if (matches.stream().allMatch(p -> p.matches(".*-\\d{5}-of-\\d{5}\\.gguf"))) {
            throw new LlamaException(repo + ":" + wanted + " is split into " + matches.size() + " files; llama3j "
                    + "reads one GGUF file (merge them with llama.cpp's llama-gguf-split --merge)");
        }
        throw new LlamaException(repo + ":" + wanted + " matches " + matches.size() + " files ("
                + String.join(", ", matches) + "); download the one you want with llama3j download --include");
    }

    /** The file name carries the quantization as a whole word: {@code -Q4_K_M.gguf}, {@code .Q4_K_M-00001...}. */
    private static boolean hasQuant(String path, String quant) {
        String name = path.substring(path.lastIndexOf('/') + 1).toUpperCase(Locale.ROOT);
        int at = name.indexOf(quant);
        while (at >= 0) {
            boolean startOk = at == 0 || !Character.isLetterOrDigit(name.charAt(at - 1));
            int end = at + quant.length();
            boolean endOk = end < name.length() && (name.charAt(end) == '.' || name.charAt(end) == '-');
            if (startOk && endOk) {
                return true;
            }
            at = name.indexOf(quant, at + 1);
        }
        return false;
    }

    /** The quantization a GGUF file name ends with, for the list of choices. */
    private static String quantOf(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1).replaceFirst("(?i)(-\\d{5}-of-\\d{5})?\\.gguf$", "");
        int cut = Math.max(name.lastIndexOf('-'), name.lastIndexOf('.'));
        return cut < 0 ? name : name.substring(cut + 1);
    }
}
