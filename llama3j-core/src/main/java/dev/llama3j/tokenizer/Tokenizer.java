package dev.llama3j.tokenizer;

import dev.llama3j.LlamaException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Llama 3 tokenizer with the exact semantics of Meta's {@code llama/tokenizer.py} on top of
 * tiktoken: a tiktoken BPE vocabulary followed by 256 special tokens. Immutable and thread-safe.
 */
public final class Tokenizer {
    /** Meta encodes at most this many characters (code points) per tiktoken call. */
    static final int MAX_ENCODE_CHARS = 400_000;
    /** Meta splits runs of more than this many consecutive space or non-space characters. */
    static final int MAX_RUN_CHARS = 25_000;
    /** Longest special-token text we look for: "<|reserved_special_token_250|>" is 30. */
    private static final int MAX_SPECIAL_CHARS = 64;

    private final RankTable ranks;
    private final SpecialTokenNames naming;
    private final List<String> specialNames;
    private final Map<String, Integer> specialIds;
    private final byte[][] specialBytes;
    private final int bosId;
    private final int eosId;
    private final int eotId;
    private final int padId;
    private final Set<Integer> stopTokens;

    private Tokenizer(RankTable ranks, SpecialTokenNames naming) {
        this.ranks = ranks;
        this.naming = naming;
        this.specialNames = naming.names();
        this.specialIds = new HashMap<>();
        this.specialBytes = new byte[specialNames.size()][];
        for (int i = 0; i < specialNames.size(); i++) {
            specialIds.put(specialNames.get(i), ranks.size() + i);
            specialBytes[i] = specialNames.get(i).getBytes(StandardCharsets.UTF_8);
        }
        this.bosId = specialTokenId("<|begin_of_text|>");
        this.eosId = specialTokenId("<|end_of_text|>");
        this.eotId = specialTokenId("<|eot_id|>");
        this.padId = naming.padToken() == null ? -1 : specialTokenId(naming.padToken());
        Set<Integer> stops = new LinkedHashSet<>();
        for (String name : naming.stopTokens()) {
            stops.add(specialTokenId(name));
        }
        this.stopTokens = Collections.unmodifiableSet(stops);
    }

    /**
     * A tokenizer from a vocabulary file (tokenizer.model, GGUF, tokenizer.json): base tokens by rank, then the
     * special tokens with the given names. The caller has checked that the file's BPE is tiktoken's.
     */
    public static Tokenizer fromRanks(RankTable ranks, SpecialTokenNames naming) {
        return new Tokenizer(ranks, naming);
    }

    /** The rank table, for the exporters that derive merges from it. */
    public RankTable ranks() {
        return ranks;
    }

    /** The same vocabulary with other special-token names (cheap: shares the rank table). */
    public Tokenizer withNames(SpecialTokenNames other) {
        return other == naming ? this : new Tokenizer(ranks, other);
    }

    public SpecialTokenNames naming() {
        return naming;
    }

    /** Base vocabulary plus special tokens: 128,256 for Llama 3. */
    public int vocabSize() {
        return ranks.size() + specialNames.size();
    }

    /** Number of BPE (non-special) tokens: the id of the first special token. */
    public int baseVocabSize() {
        return ranks.size();
    }

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    public int eotId() {
        return eotId;
    }

    /** -1 for Llama 3 (as in Meta's code), finetune_right_pad_id for the 3.1 names. */
    public int padId() {
        return padId;
    }

    /** The ids that end generation: end_of_text and eot_id (and eom_id with the Llama 3.1 names). */
    public Set<Integer> stopTokens() {
        return stopTokens;
    }

    /** The id of a special token by its text, e.g. {@code "<|eot_id|>"}. */
    public int specialTokenId(String name) {
        Integer id = specialIds.get(name);
        if (id == null) {
            throw new LlamaException("unknown special token '" + name + "' (" + naming
                    + " names are e.g. <|begin_of_text|>, <|eot_id|>, <|reserved_special_token_N|>)");
        }
        return id;
    }

    /** The texts of all special tokens, in id order. */
    public List<String> specialTokens() {
        return specialNames;
    }

    public boolean isSpecial(int id) {
        return id >= ranks.size() && id < vocabSize();
    }

    /** Meta's {@code encode(s, bos=, eos=)} with its defaults: special-token text is encoded as plain text. */
    public int[] encode(String text, boolean bos, boolean eos) {
        return encode(text, bos, eos, SpecialTokenSet.NONE, SpecialTokenSet.NONE);
    }

    /**
     * Meta's {@code encode(s, bos, eos, allowed_special, disallowed_special)}. Allowed special-token text
     * becomes the special token; disallowed special-token text is an error; any other special-token text
     * is encoded as plain text. "all" disallowed means every special token that is not allowed.
     *
     * @throws LlamaException when the text contains a disallowed special token
     */
    public int[] encode(String text, boolean bos, boolean eos, SpecialTokenSet allowedSpecial,
                        SpecialTokenSet disallowedSpecial) {
        Set<String> allowed = allowedSpecial.all() ? specialIds.keySet() : allowedSpecial.names();
        Set<String> disallowed;
        if (disallowedSpecial.all()) {
            disallowed = new HashSet<>(specialIds.keySet());
            disallowed.removeAll(allowed);
        } else {
            disallowed = disallowedSpecial.names();
        }
        int[] cp = Utf8.codePoints(text);
        Encoding encoding = new Encoding(cp, allowed, disallowed);
        if (bos) {
            encoding.out.add(bosId);
        }
        // Meta: slices of 400,000 characters, each cut further so that no run of space or of
        // non-space characters (Python str.isspace) is longer than 25,000; each part is one tiktoken call
        for (int chunk = 0; chunk < cp.length; chunk += MAX_ENCODE_CHARS) {
            int chunkEnd = Math.min(cp.length, chunk + MAX_ENCODE_CHARS);
            boolean inSpace = CharClass.isPythonSpace(cp[chunk]);
            int runLength = 0;
            int sliceStart = chunk;
            for (int i = chunk; i < chunkEnd; i++) {
                boolean space = CharClass.isPythonSpace(cp[i]);
                if (space != inSpace) {
                    inSpace = space;
                    runLength = 1;
                } else if (++runLength > MAX_RUN_CHARS) {
                    encoding.encodeTiktoken(sliceStart, i);
                    sliceStart = i;
                    runLength = 1;
                }
            }
            encoding.encodeTiktoken(sliceStart, chunkEnd);
        }
        if (eos) {
            encoding.out.add(eosId);
        }
        return encoding.out.toArray();
    }

    /** Python's {@code decode}: the tokens' bytes as UTF-8, each ill-formed subsequence replaced by U+FFFD. */
    public String decode(int[] ids) {
        byte[] bytes = decodeBytes(ids);
        return Utf8.decodeReplacing(bytes, bytes.length);
    }

    /** Bytes as text exactly as {@link #decode} turns token bytes into text (Python's UTF-8 "replace"). */
    public static String decodeUtf8(byte[] bytes) {
        return Utf8.decodeReplacing(bytes, bytes.length);
    }

    /** The concatenated bytes of the tokens (a special token contributes its text). */
    public byte[] decodeBytes(int[] ids) {
        int total = 0;
        for (int id : ids) {
            total += tokenLength(id);
        }
        byte[] out = new byte[total];
        int pos = 0;
        for (int id : ids) {
            if (id < ranks.size()) {
                pos = ranks.copyBytes(id, out, pos);
            } else {
                byte[] special = specialBytes[id - ranks.size()];
                System.arraycopy(special, 0, out, pos, special.length);
                pos += special.length;
            }
        }
        return out;
    }

    /** The bytes of one token. */
    public byte[] tokenBytes(int id) {
        checkId(id);
        return id < ranks.size() ? ranks.bytes(id) : specialBytes[id - ranks.size()].clone();
    }

    /** One token as text (a special token's name; bytes that are not whole UTF-8 become U+FFFD). */
    public String tokenText(int id) {
        byte[] bytes = tokenBytes(id);
        return Utf8.decodeReplacing(bytes, bytes.length);
    }

    private int tokenLength(int id) {
        checkId(id);
        return id < ranks.size() ? ranks.length(id) : specialBytes[id - ranks.size()].length;
    }

    private void checkId(int id) {
        if (id < 0 || id >= vocabSize()) {
            throw new LlamaException("unknown token id " + id + " (expected 0.." + (vocabSize() - 1) + ")");
        }
    }

    /** The state of one encode call: the code points, the output, and scratch buffers. */
    private final class Encoding {
        final int[] cp;
        final Set<String> allowed;
        final Set<String> disallowed;
        final IntList out;
        final BytePairEncoder bpe = new BytePairEncoder(ranks);
        byte[] utf8 = new byte[256];

        Encoding(int[] cp, Set<String> allowed, Set<String> disallowed) {
            this.cp = cp;
            this.allowed = allowed;
            this.disallowed = disallowed;
            this.out = new IntList(cp.length / 3 + 16);
        }

        /** tiktoken's {@code Encoding.encode(text, allowed_special, disallowed_special)} on {@code cp[from, to)}. */
        void encodeTiktoken(int from, int to) {
            if (!disallowed.isEmpty()) {
                rejectDisallowed(from, to);
            }
            int start = from;
            if (!allowed.isEmpty()) {
                for (int i = from; i + 1 < to; i++) {
                    if (cp[i] == '<' && cp[i + 1] == '|') {
                        String special = specialAt(i, to);
                        if (special != null && allowed.contains(special)) {
                            encodeOrdinary(start, i);
                            out.add(specialIds.get(special));
                            i += special.length() - 1;
                            start = i + 1;
                        }
                    }
                }
            }
            encodeOrdinary(start, to);
        }

        /** The special token whose text starts at {@code cp[i]} ("<|"), or null. */
        private String specialAt(int i, int to) {
            String candidate = delimitedAt(i, to);
            return candidate != null && specialIds.containsKey(candidate) ? candidate : null;
        }

        /** The text from "<|" at {@code i} to the first "|>" after it, or null. Special-token texts have this shape. */
        private String delimitedAt(int i, int to) {
            int limit = Math.min(to, i + MAX_SPECIAL_CHARS);
            for (int j = i + 2; j + 1 < limit; j++) {
                if (cp[j] == '|' && cp[j + 1] == '>') {
                    return new String(cp, i, j + 2 - i);
                }
            }
            return null;
        }

        /** tiktoken raises for the (leftmost) disallowed special-token text found anywhere in the text. */
        private void rejectDisallowed(int from, int to) {
            int firstAt = Integer.MAX_VALUE;
            String first = null;
            List<String> others = new ArrayList<>();
            for (String s : disallowed) {
                if (isDelimited(s)) {
                    continue;
                }
                others.add(s);
            }
            for (int i = from; i + 1 < to && i < firstAt; i++) {
                if (cp[i] == '<' && cp[i + 1] == '|') {
                    String candidate = delimitedAt(i, to);
                    if (candidate != null && disallowed.contains(candidate)) {
                        firstAt = i;
                        first = candidate;
                    }
                }
            }
            for (String s : others) {
                int at = indexOf(s, from, to);
                if (at >= 0 && at < firstAt) {
                    firstAt = at;
                    first = s;
                }
            }
            if (first != null) {
                throw new LlamaException("the text contains the special token " + first
                        + ", which is disallowed (allow it as a special token, or stop disallowing it"
                        + " to encode it as plain text)");
            }
        }

        private boolean isDelimited(String s) {
            int close = s.indexOf("|>", 2);
            return s.startsWith("<|") && close == s.length() - 2 && s.length() <= MAX_SPECIAL_CHARS;
        }

        private int indexOf(String s, int from, int to) {
            int[] needle = s.codePoints().toArray();
            if (needle.length == 0) {
                return from; // Python's regex search finds the empty string at the start
            }
            outer:
            for (int i = from; i + needle.length <= to; i++) {
                for (int k = 0; k < needle.length; k++) {
                    if (cp[i + k] != needle[k]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        /** Pre-tokenizes {@code cp[from, to)} and byte-pair encodes each piece. */
        private void encodeOrdinary(int from, int to) {
            int i = from;
            while (i < to) {
                int end = PreTokenizer.pieceEnd(cp, i, to);
                int n = end - i;
                if (n == 1 && cp[i] < 0x80) {
                    out.add(ranks.byteRank(cp[i]));
                } else {
                    if (utf8.length < 4 * n) {
                        utf8 = new byte[Math.max(4 * n, 2 * utf8.length)];
                    }
                    int len = Utf8.encode(cp, i, end, utf8);
                    bpe.encode(utf8, len, out);
                }
                i = end;
            }
        }
    }
}
