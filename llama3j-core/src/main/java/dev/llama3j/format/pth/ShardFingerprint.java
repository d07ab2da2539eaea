package dev.llama3j.format.pth;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.Tensor;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A cheap identity of one model-parallel shard: SHA-256 over the leading bytes of a few tensors that every shard
 * holds a different part of (never the replicated norms), so two shards with equal fingerprints are copies of
 * each other. It is a plain value computed from one shard's tensors alone: whoever loads a shard computes its
 * fingerprint, and comparing them ({@link #requireDistinct}) is a separate step (under MPI, after each rank has
 * sent its own).
 *
 * @param sha256 lower-case hex
 */
public record ShardFingerprint(String sha256) {
    /** Split across shards in every Llama checkpoint (vocab rows, query heads). */
    static final List<String> TENSORS = List.of("tok_embeddings.weight", "output.weight", "layers.0.attention.wq.weight");
    /** Bytes read from the start of each tensor: a few pages of the mapped file. */
    static final long BYTES_PER_TENSOR = 64 << 10;

    /** The fingerprint of a shard's tensors (those of {@link #TENSORS} it lacks are left out). */
    public static ShardFingerprint of(Map<String, Tensor> shard) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides SHA-256", e);
        }
        for (String name : TENSORS) {
            Tensor t = shard.get(name);
            if (t == null) {
                continue;
            }
            md.update((name + t.shapeString()).getBytes(StandardCharsets.UTF_8));
            md.update(t.data().asSlice(0, Math.min(BYTES_PER_TENSOR, t.data().byteSize())).asByteBuffer());
        }
        return new ShardFingerprint(HexFormat.of().formatHex(md.digest()));
    }

    /**
     * Fails when two shards have the same fingerprint: a shard copied over another (e.g. {@code consolidated.01.pth}
     * a copy of {@code .00}) would otherwise load without a word and compute garbage.
     *
     * @param names the shards' files, in shard order, for the message
     */
    public static void requireDistinct(List<ShardFingerprint> fingerprints, List<String> names) {
        for (int j = 1; j < fingerprints.size(); j++) {
            for (int i = 0; i < j; i++) {
                if (fingerprints.get(i).equals(fingerprints.get(j))) {
                    throw new LlamaException(names.get(j) + ": is a copy of " + names.get(i) + " (the same bytes in "
                            + String.join(", ", TENSORS) + "): each model-parallel shard holds a different part of"
                            + " the model; download it again");
                }
            }
        }
    }
}
