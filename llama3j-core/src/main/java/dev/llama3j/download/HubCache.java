package dev.llama3j.download;

import dev.llama3j.LlamaException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The hub's cache layout, shared with {@code huggingface_hub}: {@code models--org--name/blobs/ETAG} holds the
 * bytes, {@code snapshots/COMMIT/PATH} links to them (relative symbolic links), {@code refs/REVISION} holds the
 * commit a branch or tag pointed at when last seen. Local folders keep the same per-file metadata as
 * {@code huggingface_hub} ({@code .cache/huggingface/download/PATH.metadata}: commit, ETag, time).
 */
public final class HubCache {
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9_.-]{1,96}");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    private final Path root;

    public HubCache(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** {@code org/name} as the hub allows it; anything else (a path, {@code ..}) is refused. */
    public static void checkRepoId(String repo) {
        if (!REPO_ID.matcher(repo).matches() || repo.contains("..") || repo.contains("--")) {
            throw new LlamaException("'" + repo + "' is not a Hugging Face repository id (expected org/name)");
        }
    }

    /** A path from a listing must stay inside the snapshot: relative, no empty, {@code .} or {@code ..} segment. */
    static void checkRepoPath(String repo, String path) {
        boolean bad = path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.indexOf('\0') >= 0;
        for (String seg : path.split("/", -1)) {
            bad |= seg.isEmpty() || seg.equals(".") || seg.equals("..");
        }
        if (bad) {
            throw new LlamaException(repo + ": the hub's listing names an unsafe path '" + path + "'");
        }
    }

    public Path repoDir(String repo) {
        return root.resolve("models--" + repo.replace("/", "--"));
    }

    Path blob(String repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    public Path snapshot(String repo, String commit) {
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    /** The commit {@code revision} points at in the cache (a commit itself, or a ref), or null when unknown. */
    public String commitOf(String repo, String revision) {
        if (COMMIT.matcher(revision).matches()) {
            return Files.isDirectory(snapshot(repo, revision)) ? revision : null;
        }
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        try {
            String commit = Files.isRegularFile(ref) ? Files.readString(ref).strip() : null;
            return commit != null && COMMIT.matcher(commit).matches() ? commit : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** The files present in a snapshot, as repository paths (links whose blob is missing are left out). */
    public List<String> files(String repo, String commit) {
        Path snap = snapshot(repo, commit);
        if (!Files.isDirectory(snap)) {
            return List.of();
        }
        try (var walk = Files.walk(snap)) {
            return walk.filter(Files::isRegularFile).map(p -> snap.relativize(p).toString().replace('\\', '/'))
                    .sorted().toList();
        } catch (IOException e) {
            throw new LlamaException(snap + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Links {@code snapshots/COMMIT/PATH} to its blob, relatively, as huggingface_hub does. */
    void link(String repo, String commit, String path, String etag) {
        Path link = snapshot(repo, commit).resolve(path);
        Path blob = blob(repo, etag);
        try {
            Files.createDirectories(link.getParent());
            Path relative = link.getParent().relativize(blob);
            Path tmp = link.resolveSibling(link.getFileName() + ".link");
            Files.deleteIfExists(tmp);
            try {
                Files.createSymbolicLink(tmp, relative);
            } catch (UnsupportedOperationException | IOException e) {
                Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, link, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LlamaException(link + ": cannot link to the downloaded blob: " + e.getMessage(), e);
        }
    }

    void writeRef(String repo, String revision, String commit) {
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        RemoteFile.writeAtomically(ref, commit.getBytes(StandardCharsets.UTF_8));
    }

    static void writeLocalMetadata(Path localDir, String path, String commit, String etag) {
        String metadata = commit + "\n" + etag + "\n" + Instant.now().toEpochMilli() / 1000.0 + "\n";
        RemoteFile.writeAtomically(metadataPath(localDir, path), metadata.getBytes(StandardCharsets.UTF_8));
    }

    static String localMetadataEtag(Path localDir, String path) {
        try {
            List<String> lines = Files.readAllLines(metadataPath(localDir, path));
            return lines.size() >= 2 ? lines.get(1).strip() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static Path metadataPath(Path localDir, String path) {
        return localDir.resolve(".cache/huggingface/download").resolve(path + ".metadata");
    }
}
