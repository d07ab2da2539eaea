package dev.llama3j.grammar;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * A vocabulary's tokens as a byte trie laid out in preorder: node i's subtree is nodes i..end[i]-1, so that a walk
 * is one forward scan that jumps past a subtree at its first rejected byte. Tokens without bytes (special
 * tokens) are left out.
 */
final class VocabularyTrie {
    final byte[] label;
    final int[] depth;
    final int[] end;
    /** The first token whose bytes end at the node, or -1; further ones (equal byte strings) via sameBytes. */
    final int[] token;
    final int[] sameBytes;
    final int maxDepth;

    VocabularyTrie(byte[][] tokenBytes) {
        Integer[] ids = IntStream.range(0, tokenBytes.length)
                .filter(i -> tokenBytes[i] != null && tokenBytes[i].length > 0).boxed().toArray(Integer[]::new);
        Arrays.sort(ids, Comparator.comparing((Integer i) -> tokenBytes[i], Arrays::compareUnsigned)
                .thenComparing(i -> i));
        int capacity = 0;
        int longest = 0;
        for (int id : ids) {
            capacity += tokenBytes[id].length;
            longest = Math.max(longest, tokenBytes[id].length);
        }
        byte[] labels = new byte[capacity];
        int[] depths = new int[capacity];
        int[] ends = new int[capacity];
        int[] tokens = new int[capacity];
        Arrays.fill(tokens, -1);
        sameBytes = new int[tokenBytes.length];
        Arrays.fill(sameBytes, -1);
        int[] path = new int[longest + 1];
        int pathLength = 0;
        int count = 0;
        byte[] previous = new byte[0];
        int[] lastOfNode = new int[capacity];
        for (int id : ids) {
            byte[] bytes = tokenBytes[id];
            int common = Math.min(Arrays.mismatch(previous, bytes) < 0 ? bytes.length
                    : Arrays.mismatch(previous, bytes), bytes.length);
            common = Math.min(common, pathLength);
            while (pathLength > common) ends[path[--pathLength]] = count;
            for (int k = common; k < bytes.length; k++) {
                labels[count] = bytes[k];
                depths[count] = k + 1;
                path[pathLength++] = count++;
            }
            int node = path[bytes.length - 1];
            if (tokens[node] < 0) {
                tokens[node] = id;
            } else {
                sameBytes[lastOfNode[node]] = id;
            }
            lastOfNode[node] = id;
            previous = bytes;
        }
        while (pathLength > 0) ends[path[--pathLength]] = count;
        label = Arrays.copyOf(labels, count);
        depth = Arrays.copyOf(depths, count);
        end = Arrays.copyOf(ends, count);
        token = Arrays.copyOf(tokens, count);
        maxDepth = longest;
    }

    int size() {
        return label.length;
    }
}
