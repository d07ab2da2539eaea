package dev.llama3j.download;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the Hugging Face hub is and who asks, read from the environment as {@code huggingface_hub} reads it:
 * {@code HF_ENDPOINT} (default the public hub), {@code HF_TOKEN} or the token file {@code huggingface-cli login}
 * writes ({@code HF_TOKEN_PATH}, default {@code $HF_HOME/token}), the cache {@code HF_HUB_CACHE} (default
 * {@code $HF_HOME/hub}, {@code HF_HOME} defaulting to {@code ~/.cache/huggingface}) and {@code HF_HUB_OFFLINE}.
 */
public record HubSettings(URI endpoint, String token, Path cacheDir, boolean offline) {
    public static final String PUBLIC_HUB = "https://huggingface.co";

    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    public static HubSettings fromEnvironment(Map<String, String> env, Path home) {
        String endpoint = env.getOrDefault("HF_ENDPOINT", PUBLIC_HUB).strip();
        while (endpoint.endsWith("/")) {
            endpoint = endpoint.substring(0, endpoint.length() - 1);
        }
        Path cacheHome = env.containsKey("XDG_CACHE_HOME") ? Path.of(env.get("XDG_CACHE_HOME"))
                : home.resolve(".cache");
        Path hfHome = env.containsKey("HF_HOME") ? Path.of(env.get("HF_HOME")) : cacheHome.resolve("huggingface");
        String cache = env.getOrDefault("HF_HUB_CACHE", env.get("HUGGINGFACE_HUB_CACHE"));
        String token = env.getOrDefault("HF_TOKEN", env.get("HUGGING_FACE_HUB_TOKEN"));
        if (token == null || token.isBlank()) {
            Path file = env.containsKey("HF_TOKEN_PATH") ? Path.of(env.get("HF_TOKEN_PATH")) : hfHome.resolve("token");
            token = readToken(file);
        }
        String offline = env.getOrDefault("HF_HUB_OFFLINE", "0").strip().toLowerCase(java.util.Locale.ROOT);
        return new HubSettings(URI.create(endpoint), token == null || token.isBlank() ? null : token.strip(),
                cache == null ? hfHome.resolve("hub") : Path.of(cache),
                offline.equals("1") || offline.equals("true") || offline.equals("yes") || offline.equals("on"));
    }

    private static String readToken(Path file) {
        try {
            return Files.isRegularFile(file) && Files.size(file) < 4096 ? Files.readString(file) : null;
        } catch (IOException e) {
            return null;
        }
    }
}
