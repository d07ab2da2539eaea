package dev.llama3j.download;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.BoundedJson;
import dev.llama3j.LlamaException;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Hugging Face hub, spoken as {@code huggingface_hub} speaks it: the file list from
 * {@code /api/models/{repo}/revision/{rev}}, each file's ETag, size and commit from a HEAD of
 * {@code /{repo}/resolve/{commit}/{path}} (whose redirect to the CDN is followed without the token), LFS files
 * verified by SHA-256 against {@code X-Linked-Etag} and git files by their blob SHA-1. Files land in the shared
 * cache ({@link HubCache}) or in a plain folder.
 */
public final class Hub {
    /** A repository's listing: the size of an answer we read is bounded, not its file count. */
    private static final int LISTING_LIMIT = 32 << 20;
    private static final Pattern HEX40 = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private final HubSettings settings;
    private final Transfer transfer;
    private final HubCache cache;

    public Hub(HubSettings settings, TransferOptions options) {
        this.settings = settings;
        this.transfer = new Transfer(options, settings.endpoint(),
                settings.token() == null ? null : "Bearer " + settings.token());
        this.cache = new HubCache(settings.cacheDir());
    }

    public HubSettings settings() {
        return settings;
    }

    public HubCache cache() {
        return cache;
    }

    /** One file of a repository, as the listing gives it. */
    public record RepoFile(String path, long size) {}

    /** A repository at one commit. */
    public record Listing(String repo, String commit, List<RepoFile> files) {}

    /** The files of {@code repo} at {@code revision} (a branch, tag or commit). */
    public Listing list(String repo, String revision) {
        HubCache.checkRepoId(repo);
        requireOnline(repo);
        URI uri = URI.create(settings.endpoint() + "/api/models/" + repo + "/revision/" + encode(revision)
                + "?blobs=true");
        byte[] body;
        try {
            body = transfer.get(uri, repo, LISTING_LIMIT);
        } catch (HttpStatusException e) {
            throw explain(e, repo, revision);
        }
        JsonNode root = BoundedJson.readObject(body, settings.endpoint() + " listing of " + repo);
        String commit = root.path("sha").asText("");
        if (!HEX40.matcher(commit).matches()) {
            throw new LlamaException(repo + ": the hub's listing has no commit hash ('sha')");
        }
        List<RepoFile> files = new ArrayList<>();
        for (JsonNode sibling : root.path("siblings")) {
            String path = sibling.path("rfilename").asText("");
            HubCache.checkRepoPath(repo, path);
            files.add(new RepoFile(path, sibling.path("size").asLong(-1)));
        }
        return new Listing(repo, commit, List.copyOf(files));
    }

    /**
     * Downloads the files of {@code listing} that {@code include} matches (all when empty) into the cache (then
     * returns the snapshot folder) or into {@code localDir} (then returns it).
     */
    public Path download(Listing listing, String revision, List<String> include, Path localDir,
                         DownloadListener listener) {
        Glob.check(include);
        List<RepoFile> chosen = listing.files().stream().filter(f -> Glob.anyMatches(include, f.path())).toList();
        if (chosen.isEmpty()) {
            throw new LlamaException(listing.repo() + ": no file matches " + String.join(", ", include)
                    + " (the repository has " + listing.files().size() + " files)");
        }
        List<RemoteFile> remote = new ArrayList<>();
        List<String> etags = new ArrayList<>();
        try {
            for (RepoFile f : chosen) {
                Resolved r = resolve(listing, f);
                Path target = localDir == null ? cache.blob(listing.repo(), r.etag)
                        : localDir.resolve(f.path());
                remote.add(new RemoteFile(listing.repo() + "/" + f.path(), r.uri, target, r.size, r.checksum));
                etags.add(r.etag);
            }
            if (localDir != null) {
                remote = skipKnownLocalFiles(listing, remote, etags, localDir);
            }
            // two paths with the same content share one blob: fetch it once
            Map<Path, RemoteFile> unique = new LinkedHashMap<>();
            remote.forEach(f -> unique.putIfAbsent(f.target(), f));
            transfer.downloadAll(List.copyOf(unique.values()), listener);
        } catch (HttpStatusException e) {
            throw explain(e, listing.repo(), revision);
        }
        if (localDir != null) {
            for (int i = 0; i < chosen.size(); i++) {
                HubCache.writeLocalMetadata(localDir, chosen.get(i).path(), listing.commit(), etags.get(i));
            }
            return localDir;
        }
        for (int i = 0; i < chosen.size(); i++) {
            cache.link(listing.repo(), listing.commit(), chosen.get(i).path(), etags.get(i));
        }
        if (!revision.equals(listing.commit())) {
            cache.writeRef(listing.repo(), revision, listing.commit());
        }
        return cache.snapshot(listing.repo(), listing.commit());
    }

    private record Resolved(URI uri, String etag, long size, Checksum checksum) {}

    /** HEAD of the resolve URL: the ETag, the size and where the bytes are served from. */
    private Resolved resolve(Listing listing, RepoFile f) {
        URI uri = URI.create(settings.endpoint() + "/" + listing.repo() + "/resolve/" + listing.commit() + "/"
                + encodePath(f.path()));
        Transfer.Head head = transfer.head(uri, listing.repo() + "/" + f.path());
        String commit = head.header("X-Repo-Commit");
        if (commit != null && !commit.equals(listing.commit())) {
            throw new LlamaException(listing.repo() + "/" + f.path() + ": the hub serves commit " + commit
                    + ", the listing was of " + listing.commit() + "; run again");
        }
        String linked = etag(head.header("X-Linked-Etag"));
        String etag = linked != null ? linked : etag(head.header("ETag"));
        if (etag == null || !(HEX40.matcher(etag).matches() || HEX64.matcher(etag).matches())) {
            throw new LlamaException(listing.repo() + "/" + f.path() + ": the hub sent no usable ETag for the file");
        }
        String sizeHeader = head.header("X-Linked-Size") != null ? head.header("X-Linked-Size")
                : head.header("Content-Length");
        long size;
        try {
            size = Long.parseLong(String.valueOf(sizeHeader).strip());
        } catch (NumberFormatException e) {
            size = f.size();
        }
        Checksum checksum = HEX64.matcher(etag).matches() ? Checksum.sha256(etag) : Checksum.gitBlobSha1(etag);
        // the resolve URL, not the CDN link the HEAD saw: each GET (and each resume) gets a fresh signed link
        return new Resolved(uri, etag, size, checksum);
    }

    /** In a local folder, a file whose metadata names the same ETag and whose size matches is not hashed again. */
    private static List<RemoteFile> skipKnownLocalFiles(Listing listing, List<RemoteFile> files, List<String> etags,
                                                        Path localDir) {
        List<RemoteFile> out = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            RemoteFile f = files.get(i);
            String path = f.label().substring(listing.repo().length() + 1);
            if (!etags.get(i).equals(HubCache.localMetadataEtag(localDir, path)) || !sameSize(f)) {
                out.add(f);
            }
        }
        return out;
    }

    private static boolean sameSize(RemoteFile f) {
        try {
            return Files.isRegularFile(f.target()) && Files.size(f.target()) == f.size();
        } catch (IOException e) {
            return false;
        }
    }

    private static String etag(String raw) {
        if (raw == null) {
            return null;
        }
        String e = raw.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        return e.replace("\"", "");
    }

    private void requireOnline(String repo) {
        if (settings.offline()) {
            throw new LlamaException(repo + ": not in the cache " + settings.cacheDir()
                    + ", and HF_HUB_OFFLINE is set");
        }
    }

    /** What the hub's refusal means for this repository, in one line. */
    private LlamaException explain(HttpStatusException e, String repo, String revision) {
        if (e.origin() != null && !e.origin().equals(Transfer.origin(settings.endpoint()))) {
            return e;   // the CDN the hub redirected to: its refusal says nothing about the repository
        }
        String code = e.errorCode() == null ? "" : e.errorCode();
        if (code.equals("RepoNotFound") || (e.status() == 404 && code.isEmpty())) {
            return new LlamaException("repository " + repo + " not found on " + settings.endpoint()
                    + (settings.token() == null ? " (a private one needs HF_TOKEN)" : ""));
        }
        if (code.equals("RevisionNotFound")) {
            return new LlamaException(repo + ": revision '" + revision + "' not found");
        }
        if (e.status() == 401 || e.status() == 403) {
            return new LlamaException(repo + " is gated (HTTP " + e.status() + "): accept its license at "
                    + settings.endpoint() + "/" + repo + ", then set HF_TOKEN to a token of that account (or run "
                    + "huggingface-cli login)");
        }
        return e;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String path) {
        StringBuilder out = new StringBuilder();
        for (String seg : path.split("/")) {
            if (!out.isEmpty()) {
                out.append('/');
            }
            out.append(encode(seg));
        }
        return out.toString();
    }
}
