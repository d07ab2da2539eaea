package dev.llama3j.conformance;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks of {@code shared/fixtures/compare.py}, in Java, with the same tolerances: so the runner prints a verdict
 * and the tests assert it without Python. Near-ties in the reference (gap below {@link #TIE}) are excused as warnings.
 */
final class Comparison {
    static final double TIE = 1e-4;
    static final double NUCLEUS_TIE = 1e-5;

    enum Status { PASS, WARN, FAIL }

    record Check(String name, Status status, double absErr, String detail) {
        @Override
        public String toString() {
            return String.format("%-4s %-30s abs=%.3e %s", status, name, absErr, detail);
        }
    }

    record Tolerance(double atol, double rtol) {
        static final Tolerance FLOAT = new Tolerance(1e-5, 1e-4);
        static final Tolerance QUANTIZED = new Tolerance(1e-4, 1e-3);

        boolean within(double err, double scale) {
            return err <= atol + rtol * scale;
        }
    }

    private final List<Check> checks = new ArrayList<>();
    private final Tolerance tol;

    private Comparison(Tolerance tol) {
        this.tol = tol;
    }

    static List<Check> compare(JsonNode ref, JsonNode out, Path fixturesDir, Path outDir, Tolerance tol)
            throws IOException {
        Comparison c = new Comparison(tol);
        c.forward(ref, out, fixturesDir, outDir);
        c.incremental(ref, out);
        c.batched(ref, out);
        c.nucleus(ref, out);
        return c.checks;
    }

    private void add(String name, Status st, double err, String detail) {
        checks.add(new Check(name, st, err, detail));
    }

    private static Map<String, JsonNode> byName(JsonNode arr) {
        Map<String, JsonNode> m = new HashMap<>();
        if (arr != null) {
            for (JsonNode e : arr) {
                m.put(e.get("name").asText(), e);
            }
        }
        return m;
    }

    private void forward(JsonNode ref, JsonNode out, Path fixturesDir, Path outDir) throws IOException {
        Map<String, JsonNode> eng = byName(out.get("forward"));
        for (JsonNode r : ref.get("forward")) {
            String name = "forward/" + r.get("name").asText();
            JsonNode e = eng.get(r.get("name").asText());
            if (e == null) {
                add(name, Status.FAIL, 0, "missing from engine output");
                continue;
            }
            float[] rl = EngineOutput.refLastLogits(ref, r.get("name").asText(), fixturesDir);
            float[] el = e.has("last_logits") ? EngineOutput.floats(e.get("last_logits"))
                    : Npy.readFloats(outDir.resolve(e.get("last_logits_npy").asText()));
            if (rl == null) {
                // the reference stores full logits only for some prompts; top-10 is still compared below
            } else if (rl.length != el.length) {
                add(name + "/last_logits", Status.FAIL, 0, "length " + el.length + " != " + rl.length);
            } else {
                double err = maxAbsDiff(el, rl);
                double scale = maxAbs(rl);
                boolean argmaxOk = dev.llama3j.generate.Sampler.argmax(el, 0, el.length) == r.get("last_argmax").asInt()
                        || r.get("last_margin").asDouble() <= TIE;
                add(name + "/last_logits", tol.within(err, scale) && argmaxOk ? Status.PASS : Status.FAIL, err,
                        argmaxOk ? "" : "argmax differs");
            }
            topK(name + "/top10", r.get("top10_ids"), r.get("top10_logits"), r.get("top10_gap"),
                    e.get("top10_ids"), e.get("top10_logits"));
        }
    }

    private void topK(String name, JsonNode rIds, JsonNode rVals, JsonNode gaps, JsonNode eIds, JsonNode eVals) {
        if (eIds == null || eIds.size() != rIds.size()) {
            add(name, Status.FAIL, 0, "wrong number of positions");
            return;
        }
        double worst = 0;
        double scale = 0;
        List<Integer> bad = new ArrayList<>();
        List<Integer> warn = new ArrayList<>();
        for (int p = 0; p < rIds.size(); p++) {
            Map<Integer, Float> rmap = new HashMap<>();
            int[] ri = EngineOutput.ints(rIds.get(p));
            float[] rv = EngineOutput.floats(rVals.get(p));
            for (int j = 0; j < ri.length; j++) {
                rmap.put(ri[j], rv[j]);
                scale = Math.max(scale, Math.abs(rv[j]));
            }
            int[] ei = EngineOutput.ints(eIds.get(p));
            float[] ev = EngineOutput.floats(eVals.get(p));
            for (int j = 0; j < ei.length; j++) {
                Float x = rmap.get(ei[j]);
                if (x != null) {
                    worst = Math.max(worst, Math.abs(ev[j] - x));
                }
            }
            if (!sameSet(ri, ei)) {
                (gaps == null || gaps.get(p).asDouble() <= TIE ? warn : bad).add(p);
            } else {
                for (int j = 0; j < ri.length; j++) {
                    if (ri[j] != ei[j] && Math.abs(rmap.get(ri[j]) - rmap.get(ei[j])) > TIE) {
                        bad.add(p);
                        break;
                    }
                }
            }
        }
        boolean ok = tol.within(worst, scale) && bad.isEmpty();
        Status st = !ok ? Status.FAIL : warn.isEmpty() ? Status.PASS : Status.WARN;
        add(name, st, worst, bad.isEmpty() ? (warn.isEmpty() ? "" : "near-tie positions " + warn)
                : "id mismatch at positions " + bad);
    }

    private void incremental(JsonNode ref, JsonNode out) {
        Map<String, JsonNode> eng = byName(out.get("incremental"));
        for (JsonNode r : ref.get("incremental")) {
            String name = "incremental/" + r.get("name").asText();
            JsonNode e = eng.get(r.get("name").asText());
            if (e == null) {
                add(name, Status.FAIL, 0, "missing from engine output");
                continue;
            }
            int[] ids = EngineOutput.ints(e.get("ids"));
            int[] rids = EngineOutput.ints(r.get("ids"));
            Status st = Status.PASS;
            String detail = "";
            int upto = rids.length;
            if (ids.length < rids.length) {
                st = Status.FAIL;
                detail = "only " + ids.length + " ids";
            }
            for (int k = 0; k < Math.min(ids.length, rids.length); k++) {
                if (ids[k] != rids[k]) {
                    upto = k;
                    double margin = r.get("margins").get(k).asDouble();
                    st = margin <= TIE ? Status.WARN : Status.FAIL;
                    detail = "step " + k + ": got " + ids[k] + ", expected " + rids[k] + " (margin " + margin + ")";
                    break;
                }
            }
            double worst = 0;
            double scale = 0;
            for (int k = 0; k < r.get("top10_logits").size(); k++) {
                for (float v : EngineOutput.floats(r.get("top10_logits").get(k))) {
                    scale = Math.max(scale, Math.abs(v));
                }
            }
            for (int k = 0; k <= Math.min(upto, rids.length - 1) && k < e.get("top10_ids").size(); k++) {
                int[] ri = EngineOutput.ints(r.get("top10_ids").get(k));
                float[] rv = EngineOutput.floats(r.get("top10_logits").get(k));
                int[] ei = EngineOutput.ints(e.get("top10_ids").get(k));
                float[] ev = EngineOutput.floats(e.get("top10_logits").get(k));
                for (int j = 0; j < ei.length; j++) {
                    for (int m = 0; m < ri.length; m++) {
                        if (ri[m] == ei[j]) {
                            worst = Math.max(worst, Math.abs(ev[j] - rv[m]));
                        }
                    }
                }
            }
            if (st == Status.PASS && !tol.within(worst, scale)) {
                st = Status.FAIL;
                detail = "top10 logits out of tolerance";
            }
            add(name, st, worst, detail);
        }
    }

    private void batched(JsonNode ref, JsonNode out) {
        JsonNode rb = ref.get("batched");
        JsonNode e = out.get("batched");
        if (e == null) {
            add("batched", Status.FAIL, 0, "missing from engine output");
            return;
        }
        JsonNode got = e.get("out_tokens");
        JsonNode exp = rb.get("out_tokens");
        if (got.size() != exp.size()) {
            add("batched", Status.FAIL, 0, got.size() + " rows, expected " + exp.size());
            return;
        }
        Status st = Status.PASS;
        String detail = "";
        int minPrompt = rb.get("min_prompt_len").asInt();
        for (int row = 0; row < exp.size() && st != Status.FAIL; row++) {
            int[] g = EngineOutput.ints(got.get(row));
            int[] x = EngineOutput.ints(exp.get(row));
            for (int j = 0; j < Math.max(g.length, x.length); j++) {
                Integer a = j < g.length ? g[j] : null;
                Integer b = j < x.length ? x[j] : null;
                if (!java.util.Objects.equals(a, b)) {
                    int s = rb.get("prompts").get(row).size() + j - minPrompt;
                    JsonNode margins = rb.get("step_margins").get(row);
                    double m = s >= 0 && s < margins.size() ? margins.get(s).asDouble() : 1.0;
                    if (m <= TIE) {
                        if (st == Status.PASS) {
                            st = Status.WARN;
                            detail = "row " + row + " diverged at " + j + " on a near-tie";
                        }
                    } else {
                        st = Status.FAIL;
                        detail = "row " + row + " token " + j + ": got " + a + ", expected " + b;
                    }
                    break;
                }
            }
        }
        add("batched", st, 0, detail);
    }

    private void nucleus(JsonNode ref, JsonNode out) {
        Map<String, JsonNode> eng = byName(out.get("nucleus"));
        List<String> bad = new ArrayList<>();
        List<String> warn = new ArrayList<>();
        for (JsonNode r : ref.get("nucleus")) {
            String name = r.get("name").asText();
            JsonNode e = eng.get(name);
            if (e == null) {
                bad.add(name + "(missing)");
                continue;
            }
            int[] ids = EngineOutput.ints(e.get("ids"));
            Arrays.sort(ids);
            boolean same = ids.length == r.get("size").asInt()
                    && sha256Ids(ids).equals(r.get("sha256_sorted_ids").asText());
            if (!same) {
                (r.get("boundary_margin").asDouble() <= NUCLEUS_TIE ? warn : bad).add(name);
            }
        }
        add("nucleus", !bad.isEmpty() ? Status.FAIL : warn.isEmpty() ? Status.PASS : Status.WARN, 0,
                bad.isEmpty() ? (warn.isEmpty() ? "" : "boundary ties " + warn) : "mismatch " + bad);
    }

    static String sha256Ids(int[] sortedIds) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < sortedIds.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(sortedIds[i]);
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(sb.toString().getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean sameSet(int[] a, int[] b) {
        Set<Integer> sa = new HashSet<>();
        for (int x : a) {
            sa.add(x);
        }
        Set<Integer> sb = new HashSet<>();
        for (int x : b) {
            sb.add(x);
        }
        return sa.equals(sb);
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            m = Math.max(m, d);
        }
        return m;
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
