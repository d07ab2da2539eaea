package dev.llama3j.download;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The digest a downloaded file must have: MD5 (Meta's {@code checklist.chk}), SHA-256 (the hub's LFS files) or
 * git's blob SHA-1 (the hub's ETag of a file kept in git itself: SHA-1 of {@code "blob <size>\0"} then the bytes).
 */
public record Checksum(Kind kind, String hex) {
    public enum Kind { MD5, SHA256, GIT_BLOB_SHA1 }

    public Checksum {
        hex = hex.toLowerCase(Locale.ROOT);
    }

    public static Checksum md5(String hex) {
        return new Checksum(Kind.MD5, hex);
    }

    public static Checksum sha256(String hex) {
        return new Checksum(Kind.SHA256, hex);
    }

    public static Checksum gitBlobSha1(String hex) {
        return new Checksum(Kind.GIT_BLOB_SHA1, hex);
    }

    /** A fresh digest for a file of {@code size} bytes (git's blob header needs the size first). */
    MessageDigest newDigest(long size) {
        MessageDigest md = digest(switch (kind) {
            case MD5 -> "MD5";
            case SHA256 -> "SHA-256";
            case GIT_BLOB_SHA1 -> "SHA-1";
        });
        if (kind == Kind.GIT_BLOB_SHA1) {
            md.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
        }
        return md;
    }

    static String hex(MessageDigest md) {
        return HexFormat.of().formatHex(md.digest());
    }

    String algorithm() {
        return switch (kind) {
            case MD5 -> "MD5";
            case SHA256 -> "SHA-256";
            case GIT_BLOB_SHA1 -> "git SHA-1";
        };
    }

    private static MessageDigest digest(String name) {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides " + name, e);
        }
    }
}
