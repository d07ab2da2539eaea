package dev.llama3j.download;

import dev.llama3j.LlamaException;
import dev.llama3j.format.pth.Checklist;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Meta's presigned-URL download, as Meta's {@code download.sh} (repository {@code meta-llama/llama3}) does it: the
 * URL's first {@code *} is replaced by each file's path; LICENSE and USE_POLICY first, then per model its folder
 * ({@code consolidated.NN.pth}, {@code params.json}, {@code tokenizer.model}, {@code checklist.chk}), every listed
 * file checked against the checklist's MD5. The checklist is fetched first so that each file is verified as it
 * arrives; the URL's query (its signature) is never printed.
 */
public final class MetaDownload {
    /** One model of the grant: the name the user types, its local folder, its remote folder, its shard count. */
    public record Model(String name, String folder, String remotePath, int shards) {}

    public static final List<Model> MODELS = List.of(
            new Model("8B", "Meta-Llama-3-8B", "8b_pre_trained", 1),
            new Model("8B-instruct", "Meta-Llama-3-8B-Instruct", "8b_instruction_tuned", 1),
            new Model("70B", "Meta-Llama-3-70B", "70b_pre_trained", 8),
            new Model("70B-instruct", "Meta-Llama-3-70B-Instruct", "70b_instruction_tuned", 8));

    /** download.sh's two questions, word for word. */
    public static final String URL_PROMPT = "Enter the URL from email: ";
    public static final String MODELS_PROMPT = "Enter the list of models to download without spaces "
            + "(8B,8B-instruct,70B,70B-instruct), or press Enter for all: ";

    private static final int CHECKLIST_LIMIT = 1 << 16;

    private final String presignedUrl;
    private final Transfer transfer;
    private final Consumer<String> log;

    /**
     * @param presignedUrl the link from Meta's email, with a {@code *} where each file's path goes
     * @param log          receives download.sh's progress lines ("Downloading 8b_pre_trained", ...)
     */
    public MetaDownload(String presignedUrl, TransferOptions options, Consumer<String> log) {
        String url = presignedUrl.strip();
        if (url.indexOf('*') < 0) {
            throw new LlamaException("the URL has no '*' where each file's path goes: paste the whole link from "
                    + "Meta's email");
        }
        URI probe = parse(url.replaceFirst("\\*", "LICENSE"));
        if (!"https".equalsIgnoreCase(probe.getScheme()) && !"http".equalsIgnoreCase(probe.getScheme())) {
            throw new LlamaException("the URL must start with https:// (the link from Meta's email), got "
                    + probe.getScheme() + ":");
        }
        this.presignedUrl = url;
        this.transfer = new Transfer(options, null, null);
        this.log = log;
    }

    /** The models named in a comma-separated list, as download.sh reads it (empty: all four; case as it allows). */
    public static List<Model> parseModels(String list) {
        if (list == null || list.isBlank()) {
            return MODELS;
        }
        List<Model> out = new ArrayList<>();
        for (String name : list.strip().split(",")) {
            Model m = MODELS.stream().filter(x -> x.name().equalsIgnoreCase(name.strip())).findFirst()
                    .orElseThrow(() -> new LlamaException("unknown model '" + name.strip()
                            + "': expected 8B, 8B-instruct, 70B or 70B-instruct, separated by commas"));
            if (!out.contains(m)) {
                out.add(m);
            }
        }
        return out;
    }

    /** Downloads LICENSE, USE_POLICY and each model's folder under {@code dir}; returns the model folders. */
    public List<Path> run(List<Model> models, Path dir, DownloadListener listener) {
        try {
            return download(models, dir, listener);
        } catch (HttpStatusException e) {
            throw explain(e);
        }
    }

    private List<Path> download(List<Model> models, Path dir, DownloadListener listener) {
        List<RemoteFile> policy = List.of(sized(file("LICENSE", dir.resolve("LICENSE"), null)),
                sized(file("USE_POLICY", dir.resolve("USE_POLICY"), null)));
        Map<Model, List<RemoteFile>> plan = new LinkedHashMap<>();
        Map<Model, byte[]> checklists = new LinkedHashMap<>();
        for (Model m : models) {
            String remoteChecklist = m.remotePath() + "/" + Checklist.FILE_NAME;
            byte[] text = transfer.get(url(remoteChecklist), remoteChecklist, CHECKLIST_LIMIT);
            Map<String, String> md5 = Checklist.parse(new String(text, StandardCharsets.UTF_8), remoteChecklist);
            checklists.put(m, text);
            Path folder = dir.resolve(m.folder());
            List<RemoteFile> files = new ArrayList<>();
            for (int s = 0; s < m.shards(); s++) {
                String name = String.format(Locale.ROOT, "consolidated.%02d.pth", s);
                files.add(sized(file(m.remotePath() + "/" + name, folder.resolve(name), md5.get(name))));
            }
            for (String name : List.of("params.json", "tokenizer.model")) {
                files.add(sized(file(m.remotePath() + "/" + name, folder.resolve(name), md5.get(name))));
            }
            plan.put(m, files);
        }
        List<RemoteFile> all = new ArrayList<>(policy);
        plan.values().forEach(all::addAll);
        transfer.checkSpace(all);

        log.accept("Downloading LICENSE and Acceptable Usage Policy");
        transfer.downloadAll(policy, listener);
        List<Path> folders = new ArrayList<>();
        for (var e : plan.entrySet()) {
            Model m = e.getKey();
            log.accept("Downloading " + m.remotePath());
            transfer.downloadAll(e.getValue(), listener);
            Path folder = dir.resolve(m.folder());
            RemoteFile.writeAtomically(folder.resolve(Checklist.FILE_NAME), checklists.get(m));
            long checked = e.getValue().stream().filter(f -> f.checksum() != null).count();
            log.accept("Checking checksums: " + checked + " files match " + Checklist.FILE_NAME);
            folders.add(folder);
        }
        return folders;
    }

    private RemoteFile file(String remotePath, Path target, String md5) {
        return new RemoteFile(remotePath, url(remotePath), target, -1, md5 == null ? null : Checksum.md5(md5));
    }

    /** The file with its size from a HEAD request (download.sh asks for none; the disk check needs them). */
    private RemoteFile sized(RemoteFile f) {
        Transfer.Head head = transfer.head(f.uri(), f.label());
        String length = head.header("Content-Length");
        long size = -1;
        try {
            size = length == null ? -1 : Long.parseLong(length.strip());
        } catch (NumberFormatException ignored) {
            // an unsized file is fetched without the up-front disk check
        }
        return new RemoteFile(f.label(), f.uri(), f.target(), size, f.checksum());
    }

    URI url(String path) {
        return parse(presignedUrl.replaceFirst("\\*", java.util.regex.Matcher.quoteReplacement(path)));
    }

    private static URI parse(String url) {
        try {
            return URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new LlamaException("the URL is not a valid link (check that it was pasted whole, without spaces)");
        }
    }

    /** What a refusal from Meta's CDN means, in one line. */
    private static LlamaException explain(HttpStatusException e) {
        if (e.status() == 403) {
            return new LlamaException("the download link was refused (HTTP 403): links from Meta's email expire "
                    + "after 24 hours and allow a limited number of downloads; request a new one at "
                    + "https://llama.meta.com/llama-downloads");
        }
        if (e.status() == 404) {
            return new LlamaException(e.getMessage() + ": not found; is this model part of the download you were "
                    + "granted?");
        }
        return e;
    }
}
