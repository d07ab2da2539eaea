package dev.llama3j.format.pth;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted reader of the pickle that {@code torch.save} writes for a state dict ({@code data.pkl}).
 * It interprets only the opcodes such a pickle uses and "calls" only a whitelist of globals, each modelled
 * here (an empty OrderedDict, a tensor view, a storage type), so nothing in the file is ever executed.
 * Every length is checked against the remaining bytes and the stack and memo are bounded, so a hostile
 * pickle is a {@link LlamaException} before anything large is allocated.
 */
public final class Unpickler {
    /** Real state-dict pickles are kilobytes to a few megabytes; this bounds what a hostile one can build. */
    static final long MAX_PICKLE_BYTES = 64L << 20;
    private static final int MAX_STACK = 1 << 20;
    private static final int MAX_MEMO = 1 << 20;
    private static final int MAX_GLOBAL_NAME = 256;
    private static final int MAX_RANK = 16;
    private static final int HIGHEST_PROTOCOL = 5;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_BE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** The only globals a state dict may reference. */
    private enum Global {
        ORDERED_DICT("collections", "OrderedDict", null),
        REBUILD_TENSOR_V2("torch._utils", "_rebuild_tensor_v2", null),
        REBUILD_PARAMETER("torch._utils", "_rebuild_parameter", null),
        BFLOAT16_STORAGE("torch", "BFloat16Storage", DType.BF16),
        HALF_STORAGE("torch", "HalfStorage", DType.F16),
        FLOAT_STORAGE("torch", "FloatStorage", DType.F32);

        final String module;
        final String name;
        final DType storageType;

        Global(String module, String name, DType storageType) {
            this.module = module;
            this.name = name;
            this.storageType = storageType;
        }

        static Global find(String module, String name) {
            for (Global g : values()) {
                if (g.module.equals(module) && g.name.equals(name)) {
                    return g;
                }
            }
            return null;
        }
    }

    /** Python's None. */
    private enum None { NONE }

    private record Tuple(Object[] items) {
    }

    /** A persistent id {@code ('storage', StorageType, key, location, numel)}. */
    private record Storage(String key, DType type, long numel) {
    }

    private final String source;
    private final MemorySegment pickle;
    private final long end;
    private long pos;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private final Map<String, Storage> storages = new HashMap<>();

    private Unpickler(String source, MemorySegment pickle) {
        this.source = source;
        this.pickle = pickle;
        this.end = pickle.byteSize();
    }

    /**
     * Reads a state dict: tensor name to tensor view, in the pickle's order.
     *
     * @param source names the pickle in error messages (file and entry)
     */
    public static Map<String, TensorView> readStateDict(String source, MemorySegment pickle) {
        if (pickle.byteSize() > MAX_PICKLE_BYTES) {
            throw new LlamaException(source + ": pickle of " + pickle.byteSize() + " bytes is larger than the "
                    + MAX_PICKLE_BYTES + " a state dict needs");
        }
        return new Unpickler(source, pickle).run();
    }

    private Map<String, TensorView> run() {
        while (true) {
            long at = pos;
            if (at >= end) {
                throw error("pickle ends at offset " + at + " without a STOP opcode");
            }
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int protocol = u8();
                    if (protocol > HIGHEST_PROTOCOL) {
                        throw error("pickle protocol " + protocol + " at offset " + at + " is not supported");
                    }
                }
                case 0x95 -> { // FRAME: a length prefix only; frames need no buffering when reading in place
                    long len = arg(8).get(I64, 0);
                    if (len < 0 || len > end - pos) {
                        throw error("frame length " + len + " at offset " + at + " exceeds the remaining "
                                + (end - pos) + " bytes");
                    }
                }
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case ')' -> push(new Tuple(new Object[0])); // EMPTY_TUPLE
                case '(' -> { // MARK
                    if (marks.size() >= MAX_STACK) {
                        throw error("more than " + MAX_STACK + " nested marks at offset " + at);
                    }
                    marks.add(stack.size());
                }
                case 't' -> push(new Tuple(popToMark(at).toArray())); // TUPLE
                case 0x85 -> push(tupleOf(at, 1)); // TUPLE1
                case 0x86 -> push(tupleOf(at, 2)); // TUPLE2
                case 0x87 -> push(tupleOf(at, 3)); // TUPLE3
                case 'X' -> push(string(Integer.toUnsignedLong(arg(4).get(I32, 0)), at)); // BINUNICODE
                case 0x8c -> push(string(u8(), at)); // SHORT_BINUNICODE
                case 'J' -> push((long) arg(4).get(I32, 0)); // BININT
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push((long) (u8() | u8() << 8)); // BININT2
                case 0x8a -> push(long1(at)); // LONG1
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'N' -> push(None.NONE); // NONE
                case 'G' -> push(arg(8).get(F64_BE, 0)); // BINFLOAT
                case 'q' -> memoize(u8(), at); // BINPUT
                case 'r' -> memoize(Integer.toUnsignedLong(arg(4).get(I32, 0)), at); // LONG_BINPUT
                case 0x94 -> memoize(memo.size(), at); // MEMOIZE
                case 'h' -> push(recall(u8(), at)); // BINGET
                case 'j' -> push(recall(Integer.toUnsignedLong(arg(4).get(I32, 0)), at)); // LONG_BINGET
                case 's' -> { // SETITEM
                    Object value = pop(at);
                    Object key = pop(at);
                    setItem(dictOnTop(at), key, value, at);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popToMark(at);
                    Map<Object, Object> dict = dictOnTop(at);
                    if (items.size() % 2 != 0) {
                        throw error("SETITEMS at offset " + at + " has an odd number of items");
                    }
                    for (int i = 0; i < items.size(); i += 2) {
                        setItem(dict, items.get(i), items.get(i + 1), at);
                    }
                }
                case 'a' -> { // APPEND
                    Object value = pop(at);
                    listOnTop(at).add(value);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popToMark(at);
                    listOnTop(at).addAll(items);
                }
                case 'c' -> push(global(line(at), line(at), at)); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(at);
                    Object module = pop(at);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error("STACK_GLOBAL at offset " + at + " needs two strings");
                    }
                    push(global(m, n, at));
                }
                case 'R' -> { // REDUCE
                    Object args = pop(at);
                    Object callable = pop(at);
                    push(reduce(callable, args, at));
                }
                case 'Q' -> push(persistentLoad(pop(at), at)); // BINPERSID
                case 'b' -> { // BUILD: only an OrderedDict's attributes (e.g. state_dict's _metadata), ignored
                    pop(at);
                    Object target = peek(at);
                    if (!(target instanceof Map)) {
                        throw error("BUILD at offset " + at + " on " + describe(target) + " is not supported");
                    }
                }
                case '.' -> { // STOP
                    return stateDict(pop(at));
                }
                default -> throw error(String.format("unsupported pickle opcode 0x%02x at offset %d", op, at));
            }
        }
    }

    // ---- reading bytes ----

    /** The next {@code n} bytes, checked against the end of the pickle. */
    private MemorySegment bytes(long n, String what) {
        if (n > end - pos) {
            throw error(what + " at offset " + pos + " needs " + n + " bytes, only " + (end - pos) + " remain");
        }
        MemorySegment s = pickle.asSlice(pos, n);
        pos += n;
        return s;
    }

    private MemorySegment arg(long n) {
        return bytes(n, "argument");
    }

    private int u8() {
        return Byte.toUnsignedInt(bytes(1, "argument").get(ValueLayout.JAVA_BYTE, 0));
    }

    private String string(long len, long at) {
        byte[] utf8 = bytes(len, "string of " + len + " bytes (opcode at offset " + at + ")")
                .toArray(ValueLayout.JAVA_BYTE);
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw error("string at offset " + at + " is not valid UTF-8");
        }
    }

    /** A GLOBAL operand: ASCII up to a newline. */
    private String line(long at) {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = Byte.toUnsignedInt(bytes(1, "GLOBAL name (opcode at offset " + at + ")")
                    .get(ValueLayout.JAVA_BYTE, 0));
            if (c == '\n') {
                return sb.toString();
            }
            if (c < 0x20 || c > 0x7e || sb.length() >= MAX_GLOBAL_NAME) {
                throw error("malformed GLOBAL name at offset " + at);
            }
            sb.append((char) c);
        }
    }

    /** LONG1: a little-endian two's complement integer of up to 8 bytes (larger never occurs in a state dict). */
    private long long1(long at) {
        int n = u8();
        if (n > 8) {
            throw error("integer of " + n + " bytes at offset " + at + " is too large");
        }
        MemorySegment b = arg(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | Byte.toUnsignedInt(b.get(ValueLayout.JAVA_BYTE, i));
        }
        if (n > 0 && n < 8) { // sign-extend from the top byte
            v = v << (64 - 8 * n) >> (64 - 8 * n);
        }
        return v;
    }

    // ---- stack and memo ----

    private void push(Object o) {
        if (stack.size() >= MAX_STACK) {
            throw error("pickle stack exceeds " + MAX_STACK + " items at offset " + pos);
        }
        stack.add(o);
    }

    private Object pop(long at) {
        int floor = marks.isEmpty() ? 0 : marks.getLast();
        if (stack.size() <= floor) {
            throw error("pickle stack underflow at offset " + at);
        }
        return stack.removeLast();
    }

    private Object peek(long at) {
        int floor = marks.isEmpty() ? 0 : marks.getLast();
        if (stack.size() <= floor) {
            throw error("pickle stack underflow at offset " + at);
        }
        return stack.getLast();
    }

    private List<Object> popToMark(long at) {
        if (marks.isEmpty()) {
            throw error("opcode at offset " + at + " needs a MARK, none is open");
        }
        int mark = marks.removeLast();
        List<Object> top = stack.subList(mark, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private Tuple tupleOf(long at, int n) {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) {
            items[i] = pop(at);
        }
        return new Tuple(items);
    }

    private void memoize(long index, long at) {
        if (memo.size() >= MAX_MEMO && !memo.containsKey(index)) {
            throw error("pickle memo exceeds " + MAX_MEMO + " entries at offset " + at);
        }
        memo.put(index, peek(at));
    }

    private Object recall(long index, long at) {
        Object o = memo.get(index);
        if (o == null) {
            throw error("memo entry " + index + " read at offset " + at + " was never stored");
        }
        return o;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop(long at) {
        Object target = peek(at);
        if (!(target instanceof Map)) {
            throw error("SETITEM at offset " + at + " on " + describe(target) + ", expected a dict");
        }
        return (Map<Object, Object>) target;
    }

    @SuppressWarnings("unchecked")
    private List<Object> listOnTop(long at) {
        Object target = peek(at);
        if (!(target instanceof List)) {
            throw error("APPEND at offset " + at + " on " + describe(target) + ", expected a list");
        }
        return (List<Object>) target;
    }

    /** Keys are limited to strings and ints so hashing never walks a (possibly cyclic) container. */
    private void setItem(Map<Object, Object> dict, Object key, Object value, long at) {
        if (!(key instanceof String || key instanceof Long || key instanceof Boolean)) {
            throw error("dict key of type " + describe(key) + " at offset " + at + " is not supported");
        }
        dict.put(key, value);
    }

    // ---- the whitelisted globals ----

    private Global global(String module, String name, long at) {
        Global g = Global.find(module, name);
        if (g == null) {
            throw error("global " + module + "." + name + " (offset " + at + ") is not allowed");
        }
        return g;
    }

    private Object reduce(Object callable, Object args, long at) {
        if (!(callable instanceof Global g)) {
            throw error("REDUCE at offset " + at + " calls " + describe(callable) + ", not an allowed global");
        }
        if (!(args instanceof Tuple(Object[] a))) {
            throw error("REDUCE at offset " + at + " has arguments of type " + describe(args) + ", expected a tuple");
        }
        return switch (g) {
            case ORDERED_DICT -> {
                if (a.length != 0) {
                    throw error("OrderedDict at offset " + at + " with constructor arguments is not supported");
                }
                yield new LinkedHashMap<>();
            }
            case REBUILD_TENSOR_V2 -> rebuildTensor(a, at);
            case REBUILD_PARAMETER -> {
                if (a.length < 1 || !(a[0] instanceof TensorView t)) {
                    throw error("_rebuild_parameter at offset " + at + " needs a tensor as its first argument");
                }
                yield t;
            }
            default -> throw error("global torch." + g.name + " cannot be called (offset " + at + ")");
        };
    }

    private Storage persistentLoad(Object pid, long at) {
        if (!(pid instanceof Tuple(Object[] p)) || p.length != 5 || !"storage".equals(p[0])
                || !(p[1] instanceof Global g) || g.storageType == null || !(p[2] instanceof String key)
                || !(p[3] instanceof String) || !(p[4] instanceof Long numel)) {
            throw error("persistent id at offset " + at
                    + " is not ('storage', <torch storage type>, key, location, numel)");
        }
        if (numel < 0) {
            throw error("storage '" + key + "' has a negative size " + numel);
        }
        Storage s = new Storage(key, g.storageType, numel);
        Storage seen = storages.putIfAbsent(key, s);
        if (seen != null && !seen.equals(s)) {
            throw error("storage '" + key + "' is declared twice with different types or sizes");
        }
        return s;
    }

    /**
     * {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}
     * as a view; only the contiguous row-major layout that weights are saved in is accepted.
     */
    private TensorView rebuildTensor(Object[] a, long at) {
        String call = "_rebuild_tensor_v2 at offset " + at;
        if (a.length != 6 && a.length != 7) {
            throw error(call + " has " + a.length + " arguments, expected 6 or 7");
        }
        if (!(a[0] instanceof Storage storage)) {
            throw error(call + ": first argument is " + describe(a[0]) + ", expected a storage");
        }
        if (!(a[1] instanceof Long offset) || offset < 0) {
            throw error(call + ": storage offset must be a non-negative int");
        }
        long[] shape = ints(a[2], call, "size");
        long[] stride = ints(a[3], call, "stride");
        if (stride.length != shape.length) {
            throw error(call + ": " + shape.length + " sizes but " + stride.length + " strides");
        }
        if (!(a[4] instanceof Boolean)) {
            throw error(call + ": requires_grad must be a bool, got " + describe(a[4]));
        }
        if (!(a[5] instanceof Map<?, ?> hooks) || !hooks.isEmpty()) {
            throw error(call + ": backward hooks are not supported");
        }
        long numel = 1;
        for (long d : shape) {
            if (d < 0) {
                throw error(call + ": negative size " + d);
            }
            if (d != 0 && numel > Long.MAX_VALUE / d) {
                throw error(call + ": element count overflows");
            }
            numel *= d;
        }
        long expected = 1;
        for (int i = shape.length - 1; i >= 0 && numel > 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                throw error(call + ": strides " + Arrays.toString(stride) + " for size "
                        + Arrays.toString(shape) + " are not contiguous row-major");
            }
            expected *= shape[i];
        }
        if (offset > storage.numel || numel > storage.numel - offset) {
            throw error(call + ": " + numel + " elements at offset " + offset + " exceed storage '" + storage.key
                    + "' of " + storage.numel + " elements");
        }
        return new TensorView(storage.key, storage.type, storage.numel, offset, shape);
    }

    private long[] ints(Object o, String call, String what) {
        if (!(o instanceof Tuple(Object[] items)) || items.length > MAX_RANK) {
            throw error(call + ": " + what + " must be a tuple of at most " + MAX_RANK + " ints");
        }
        long[] out = new long[items.length];
        for (int i = 0; i < items.length; i++) {
            if (!(items[i] instanceof Long v)) {
                throw error(call + ": " + what + " must be a tuple of ints");
            }
            out[i] = v;
        }
        return out;
    }

    private Map<String, TensorView> stateDict(Object result) {
        if (!(result instanceof Map<?, ?> dict)) {
            throw error("the pickle holds " + describe(result) + ", expected a state dict");
        }
        Map<String, TensorView> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw error("state dict key of type " + describe(e.getKey()) + ", expected a string");
            }
            if (!(e.getValue() instanceof TensorView t)) {
                throw error("state dict entry '" + name + "' is " + describe(e.getValue()) + ", expected a tensor");
            }
            out.put(name, t);
        }
        return out;
    }

    /** A value's kind for messages; never its contents (which may be huge or cyclic). */
    private static String describe(Object o) {
        return switch (o) {
            case Map<?, ?> _ -> "a dict";
            case List<?> _ -> "a list";
            case Tuple _ -> "a tuple";
            case String _ -> "a string";
            case Long _ -> "an int";
            case Boolean _ -> "a bool";
            case Double _ -> "a float";
            case None _ -> "None";
            case Global g -> "global " + g.module + "." + g.name;
            case Storage _ -> "a storage";
            case TensorView _ -> "a tensor";
            default -> o.getClass().getSimpleName();
        };
    }

    private LlamaException error(String what) {
        return new LlamaException(source + ": " + what);
    }
}
