package dev.llama3j.format.pth;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UnpicklerTest {

    private static Map<String, TensorView> read(byte[] pickle) {
        return Unpickler.readStateDict("test.pkl", MemorySegment.ofArray(pickle));
    }

    private static PickleBuilder dict() {
        return new PickleBuilder().proto().op('}', '(');
    }

    @Test
    void readsTensorsSharingOneStorage() {
        byte[] p = dict().str("a").bf16("7", 20, 0, 2, 3)
                .str("b").bf16("7", 20, 6, 14)
                .str("c").tensor("FloatStorage", "8", 4, 0, new long[] {1, 4}, new long[] {99, 1})
                .op('u', '.').bytes();
        Map<String, TensorView> sd = read(p);
        assertThat(sd).containsOnlyKeys("a", "b", "c");
        assertThat(sd.get("a").shape()).containsExactly(2, 3);
        assertThat(sd.get("a").type()).isEqualTo(DType.BF16);
        assertThat(sd.get("b").storageKey()).isEqualTo("7");
        assertThat(sd.get("b").storageOffset()).isEqualTo(6);
        assertThat(sd.get("b").storageNumel()).isEqualTo(20);
        // a size-1 dimension may carry any stride
        assertThat(sd.get("c").type()).isEqualTo(DType.F32);
        assertThat(sd.get("c").shape()).containsExactly(1, 4);
    }

    @Test
    void acceptsOrderedDictWithMetadataParametersAndProtocol4Opcodes() {
        byte[] p = new PickleBuilder().op(0x80, 4)
                .op(0x95, 0, 0, 0, 0, 0, 0, 0, 0) // FRAME of length 0 (only its bounds matter)
                .global("collections", "OrderedDict").op(')', 'R', 0x94) // OrderedDict(), MEMOIZE -> 0
                .op('(').op(0x8c, 1, 'w') // SHORT_BINUNICODE 'w'
                .global("torch._utils", "_rebuild_parameter").op('(')
                .bf16("0", 4, 0, 4).op(0x89).global("collections", "OrderedDict").op(')', 'R', 't', 'R')
                .op('u')
                // BUILD with state {'_metadata': {'': {'version': 1}}} as state_dict() pickles it
                .op('}').str("_metadata").op('}').str("").op('}').str("version").integer(1)
                .op('s', 's', 's', 'b')
                .op('.').bytes();
        Map<String, TensorView> sd = read(p);
        assertThat(sd).containsOnlyKeys("w");
        assertThat(sd.get("w").shape()).containsExactly(4);
    }

    @Test
    void stackGlobalIsWhitelistedToo() {
        byte[] p = new PickleBuilder().op(0x80, 4).op(0x8c, 2, 'o', 's', 0x8c, 6).op("system".chars().toArray())
                .op(0x93).bytes();
        assertThatThrownBy(() -> read(p)).isInstanceOf(LlamaException.class)
                .hasMessage("test.pkl: global os.system (offset 14) is not allowed");
    }

    @Test
    void rejectsForbiddenGlobal() {
        byte[] p = dict().str("x").global("os", "system").str("echo hi").op(0x85, 'R', 'u', '.').bytes();
        assertThatThrownBy(() -> read(p)).isInstanceOf(LlamaException.class)
                .hasMessage("test.pkl: global os.system (offset 10) is not allowed");
    }

    @Test
    void rejectsUnknownOpcode() {
        byte[] p = dict().op('S').bytes(); // STRING (protocol 0) is not part of a state dict
        assertThatThrownBy(() -> read(p)).isInstanceOf(LlamaException.class)
                .hasMessage("test.pkl: unsupported pickle opcode 0x53 at offset 4");
    }

    @Test
    void rejectsNonContiguousStrides() {
        byte[] p = dict().str("t").tensor("HalfStorage", "0", 6, 0, new long[] {2, 3}, new long[] {1, 2})
                .op('u', '.').bytes();
        assertThatThrownBy(() -> read(p)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("strides [1, 2] for size [2, 3] are not contiguous row-major");
    }

    @Test
    void rejectsViewPastItsStorage() {
        byte[] p = dict().str("t").bf16("0", 10, 5, 2, 3).op('u', '.').bytes();
        assertThatThrownBy(() -> read(p)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("6 elements at offset 5 exceed storage '0' of 10 elements");
    }

    @Test
    void rejectsHugeShapeWithoutOverflow() {
        long big = 1L << 40;
        byte[] p = dict().str("t").bf16("0", 10, 0, big, big, big).op('u', '.').bytes();
        assertThatThrownBy(() -> read(p)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("element count overflows");
    }

    @Test
    void rejectsStringLongerThanThePickle() {
        byte[] p = dict().op('X').u32(0xFFFFFFF0L).op('a', 'b').bytes();
        assertThatThrownBy(() -> read(p)).isInstanceOf(LlamaException.class)
                .hasMessage("test.pkl: string of 4294967280 bytes (opcode at offset 4) at offset 9 needs"
                        + " 4294967280 bytes, only 2 remain");
    }

    @Test
    void rejectsStructuralDamage() {
        assertThatThrownBy(() -> read(dict().op('u').bytes())).isInstanceOf(LlamaException.class)
                .hasMessage("test.pkl: pickle ends at offset 5 without a STOP opcode");
        assertThatThrownBy(() -> read(new PickleBuilder().proto().op('R').bytes()))
                .isInstanceOf(LlamaException.class).hasMessage("test.pkl: pickle stack underflow at offset 2");
        assertThatThrownBy(() -> read(new PickleBuilder().proto().op('h', 3).bytes()))
                .isInstanceOf(LlamaException.class).hasMessage("test.pkl: memo entry 3 read at offset 2 was never stored");
        assertThatThrownBy(() -> read(new PickleBuilder().proto().op('t').bytes()))
                .isInstanceOf(LlamaException.class).hasMessage("test.pkl: opcode at offset 2 needs a MARK, none is open");
        assertThatThrownBy(() -> read(new PickleBuilder().op(0x80, 9).bytes()))
                .isInstanceOf(LlamaException.class).hasMessage("test.pkl: pickle protocol 9 at offset 0 is not supported");
        assertThatThrownBy(() -> read(new PickleBuilder().proto().op(']', '.').bytes()))
                .isInstanceOf(LlamaException.class).hasMessage("test.pkl: the pickle holds a list, expected a state dict");
        assertThatThrownBy(() -> read(dict().str("n").integer(5).op('u', '.').bytes()))
                .isInstanceOf(LlamaException.class).hasMessage("test.pkl: state dict entry 'n' is an int, expected a tensor");
    }

    @Test
    void callsNothingButTheWhitelist() {
        // a storage type used as a callable, and a tensor rebuilt with backward hooks
        byte[] call = dict().global("torch", "FloatStorage").op(')', 'R').bytes();
        assertThatThrownBy(() -> read(call)).isInstanceOf(LlamaException.class)
                .hasMessage("test.pkl: global torch.FloatStorage cannot be called (offset 25)");
        byte[] hooks = dict().str("t").global("torch._utils", "_rebuild_tensor_v2").op('(')
                .op('(').str("storage").global("torch", "BFloat16Storage").str("0").str("cpu").integer(1).op('t', 'Q')
                .integer(0).intTuple(1).intTuple(1).op(0x89).op('}').str("k").integer(1).op('s')
                .op('t', 'R', 'u', '.').bytes();
        assertThatThrownBy(() -> read(hooks)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("backward hooks are not supported");
        byte[] pid = dict().op('(').str("storage").global("os", "getcwd").bytes();
        assertThatThrownBy(() -> read(pid)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("global os.getcwd");
        byte[] badPid = dict().op('(').str("module").integer(1).op('t', 'Q').bytes();
        assertThatThrownBy(() -> read(badPid)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("is not ('storage', <torch storage type>, key, location, numel)");
    }

    @Test
    void storageKeyDeclaredWithTwoSizesIsRejected() {
        byte[] p = dict().str("a").bf16("0", 4, 0, 4).str("b").bf16("0", 8, 0, 8).op('u', '.').bytes();
        assertThatThrownBy(() -> read(p)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("storage '0' is declared twice with different types or sizes");
    }

    @Test
    void cyclicContainersAndUnhashableKeysDoNotHang() {
        // l = []; l.append(l); {l: 1} -> unhashable key is refused without hashing the cycle
        byte[] p = new PickleBuilder().proto().op('}', ']', 'q', 0, 'h', 0, 'a').integer(1).op('s', '.').bytes();
        assertThatThrownBy(() -> read(p)).isInstanceOf(LlamaException.class)
                .hasMessage("test.pkl: dict key of type a list at offset 11 is not supported");
    }

    @Test
    void boundsStackGrowth() {
        byte[] marks = new byte[(1 << 20) + 10];
        java.util.Arrays.fill(marks, (byte) ']');
        assertThatThrownBy(() -> read(marks)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("pickle stack exceeds 1048576 items");
    }

    @Test
    void decodesLong1AsTwosComplement() {
        // LONG1 of 2 bytes 0xff 0xff is -1: a negative storage offset must be refused
        byte[] p = dict().str("t").global("torch._utils", "_rebuild_tensor_v2").op('(')
                .op('(').str("storage").global("torch", "BFloat16Storage").str("0").str("cpu").integer(4).op('t', 'Q')
                .op(0x8a, 2, 0xff, 0xff).intTuple(4).intTuple(1).op(0x89).global("collections", "OrderedDict")
                .op(')', 'R', 't', 'R', 'u', '.').bytes();
        assertThatThrownBy(() -> read(p)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("storage offset must be a non-negative int");
        // and a positive 5-byte LONG1 numel reads as such
        byte[] big = dict().str("t").global("torch._utils", "_rebuild_tensor_v2").op('(')
                .op('(').str("storage").global("torch", "BFloat16Storage").str("0").str("cpu")
                .op(0x8a, 5, 0, 0, 0, 0, 1).op('t', 'Q')
                .integer(0).intTuple(4).intTuple(1).op(0x89).global("collections", "OrderedDict")
                .op(')', 'R', 't', 'R', 'u', '.').bytes();
        assertThat(read(big).get("t").storageNumel()).isEqualTo(1L << 32);
    }
}
