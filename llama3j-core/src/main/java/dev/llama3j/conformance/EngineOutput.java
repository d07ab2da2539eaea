package dev.llama3j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.generate.Generator;
import dev.llama3j.generate.Sampler;
import dev.llama3j.generate.TokenListener;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.Transformer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Computes the engine output JSON of {@code shared/fixtures/FORMAT.md} for one fixture: forward, incremental,
 * batched and nucleus sections, with inputs taken from the reference JSON.
 */
final class EngineOutput {
    /** full logits longer than this go to a .npy file beside the JSON, as the references do */
    private static final int INLINE_LOGITS = 4096;

    private final ObjectMapper json;
    private final LlamaWeights weights;
    private final int vocab;

    EngineOutput(ObjectMapper json, LlamaWeights weights) {
        this.json = json;
        this.weights = weights;
        this.vocab = weights.config().vocabSize();
    }

    ObjectNode compute(String fixture, JsonNode ref, Path fixturesDir, Path outDir) throws IOException {
        ObjectNode out = json.createObjectNode();
        out.put("fixture", fixture);
        out.put("engine", "llama3j");
        out.set("forward", forward(fixture, ref, outDir));
        out.set("incremental", incremental(ref));
        out.set("batched", batched(ref));
        out.set("nucleus", nucleus(ref, fixturesDir));
        return out;
    }

    private ArrayNode forward(String fixture, JsonNode ref, Path outDir) throws IOException {
        ArrayNode arr = json.createArrayNode();
        for (JsonNode r : ref.get("forward")) {
            int[] tokens = ints(r.get("tokens"));
            Transformer model = new Transformer(weights, 1, tokens.length);
            float[] logits = model.forward(new int[][] {tokens}, 0, true)[0];
            ObjectNode e = arr.addObject();
            String name = r.get("name").asText();
            e.put("name", name);
            float[] last = java.util.Arrays.copyOfRange(logits, (tokens.length - 1) * vocab, tokens.length * vocab);
            if (vocab <= INLINE_LOGITS) {
                ArrayNode l = e.putArray("last_logits");
                for (float v : last) {
                    l.add(v);
                }
            } else {
                String file = fixture + "." + name + ".last.npy";
                Npy.writeFloats(outDir.resolve(file), last);
                e.put("last_logits_npy", file);
            }
            ArrayNode ids = e.putArray("top10_ids");
            ArrayNode vals = e.putArray("top10_logits");
            for (int p = 0; p < tokens.length; p++) {
                addTop10(ids, vals, logits, p * vocab);
            }
        }
        return arr;
    }

    private ArrayNode incremental(JsonNode ref) {
        ArrayNode arr = json.createArrayNode();
        for (JsonNode r : ref.get("incremental")) {
            int[] prompt = forwardTokens(ref, r.get("prompt").asText());
            int steps = r.get("n_decode").asInt();
            Transformer model = new Transformer(weights, 1, prompt.length + steps);
            ObjectNode e = arr.addObject();
            e.put("name", r.get("name").asText());
            ArrayNode ids = e.putArray("ids");
            ArrayNode topIds = e.putArray("top10_ids");
            ArrayNode topVals = e.putArray("top10_logits");
            float[] logits = model.forward(new int[][] {prompt}, 0, false)[0];
            int pos = prompt.length;
            for (int k = 0; k <= steps; k++) {
                int next = Sampler.argmax(logits, 0, vocab);
                ids.add(next);
                addTop10(topIds, topVals, logits, 0);
                if (k < steps) {
                    logits = model.forward(new int[][] {{next}}, pos++, false)[0];
                }
            }
        }
        return arr;
    }

    private ObjectNode batched(JsonNode ref) {
        JsonNode b = ref.get("batched");
        List<int[]> prompts = new ArrayList<>();
        int maxPrompt = 0;
        for (JsonNode p : b.get("prompts")) {
            prompts.add(ints(p));
            maxPrompt = Math.max(maxPrompt, p.size());
        }
        int maxGen = b.get("max_gen_len").asInt();
        Transformer model = new Transformer(weights, prompts.size(), maxPrompt + maxGen);
        Generator gen = new Generator(model, ints(b.get("stop_tokens")));
        float temperature = (float) b.get("temperature").asDouble();
        Generator.Result res = gen.generate(prompts, maxGen, temperature, 0.9f, false, false, new Sampler(1),
                TokenListener.NONE);
        ObjectNode e = json.createObjectNode();
        ArrayNode rows = e.putArray("out_tokens");
        for (int[] t : res.tokens()) {
            ArrayNode row = rows.addArray();
            for (int id : t) {
                row.add(id);
            }
        }
        return e;
    }

    private ArrayNode nucleus(JsonNode ref, Path fixturesDir) throws IOException {
        ArrayNode arr = json.createArrayNode();
        for (JsonNode r : ref.get("nucleus")) {
            String from = r.get("logits_from").get("ref_forward").asText();
            float[] logits = refLastLogits(ref, from, fixturesDir);
            Sampler.Nucleus nuc = Sampler.nucleus(logits, 0, logits.length, Float.parseFloat(r.get("temperature").asText()),
                    Float.parseFloat(r.get("top_p").asText()));
            ObjectNode e = arr.addObject();
            e.put("name", r.get("name").asText());
            ArrayNode ids = e.putArray("ids");
            for (int id : nuc.keptIds()) {
                ids.add(id);
            }
        }
        return arr;
    }

    /** The tokens of the reference's forward prompt {@code name} (incremental cases name their prompt). */
    static int[] forwardTokens(JsonNode ref, String name) {
        for (JsonNode f : ref.get("forward")) {
            if (f.get("name").asText().equals(name)) {
                return ints(f.get("tokens"));
            }
        }
        throw new IllegalArgumentException("reference has no forward prompt " + name);
    }

    /** The reference's stored last-position logits of forward prompt {@code name} (inline or .npy), or null. */
    static float[] refLastLogits(JsonNode ref, String name, Path fixturesDir) throws IOException {
        for (JsonNode f : ref.get("forward")) {
            if (f.get("name").asText().equals(name)) {
                if (f.has("last_logits")) {
                    return floats(f.get("last_logits"));
                }
                if (!f.has("last_logits_npy")) {
                    return null;
                }
                return Npy.readFloats(fixturesDir.resolve("refs").resolve(f.get("last_logits_npy").asText()));
            }
        }
        throw new IllegalArgumentException("reference has no forward prompt " + name);
    }

    /** The 10 largest logits at {@code off}, largest first (lower id first on equal values). */
    private void addTop10(ArrayNode ids, ArrayNode vals, float[] logits, int off) {
        int[] top = topK(logits, off, vocab, 10);
        ArrayNode i = ids.addArray();
        ArrayNode v = vals.addArray();
        for (int id : top) {
            i.add(id);
            v.add(logits[off + id]);
        }
    }

    static int[] topK(float[] v, int off, int n, int k) {
        int[] best = new int[k];
        int size = 0;
        for (int id = 0; id < n; id++) {
            float x = v[off + id];
            if (size == k && x <= v[off + best[k - 1]]) {
                continue;
            }
            int pos = size < k ? size++ : k - 1;
            while (pos > 0 && v[off + best[pos - 1]] < x) {
                best[pos] = best[pos - 1];
                pos--;
            }
            best[pos] = id;
        }
        return java.util.Arrays.copyOf(best, size);
    }

    static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }

    /** Parses with Float.parseFloat on the decimal text, as FORMAT.md asks, to get the exact float32. */
    static float[] floats(JsonNode arr) {
        float[] out = new float[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.parseFloat(arr.get(i).asText());
        }
        return out;
    }
}
