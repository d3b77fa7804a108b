package org.sonarllm.training.sonar;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.InvalidInputException;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * Command line of the default-model pipeline (see docs/default-model.md):
 * <pre>{@code
 * java ... org.sonarllm.training.sonar.AutoencoderMain train --out=runs/ae [--workers=2 --steps=6000 --d=256 ...]
 * java ... org.sonarllm.training.sonar.AutoencoderMain bundle --out=runs/ae --bundle=runs/ae-bundle
 * java ... org.sonarllm.training.sonar.AutoencoderMain eval --bundle=runs/ae-bundle [--n=500]
 * }</pre>
 * Options are {@code --key=value}; unknown keys are errors. Note: on the project machine a plain
 * {@code java -cp} launch with the full sonarllm-training class path crashed ONNX Runtime natively, so
 * {@code bundle} and {@code eval} are run through the {@code DefaultModelBench} Surefire entry point
 * (docs/default-model.md).
 */
public final class AutoencoderMain {
    private static final List<String> TRAIN_NOVELS = List.of("emma", "mansfieldpark", "northangerabbey",
            "prideprejudice", "sensesensibility");

    private AutoencoderMain() {}

    /**
     * @param args command and options
     */
    public static void main(String[] args) {
        if (args.length == 0) {
            throw new InvalidInputException("expected a command (train, bundle, eval), found none");
        }
        Map<String, String> a = parse(args);
        switch (args[0]) {
            case "train" -> {
                int workers = Integer.parseInt(a.getOrDefault("workers", "1"));
                a.remove("workers");
                new AutoencoderTrainer(options(a)).workers(workers).train();
            }
            case "bundle" -> AutoencoderEval.bundle(Path.of(req(a, "out")), Path.of(req(a, "bundle")));
            case "eval" -> AutoencoderEval.main(a);
            default -> throw new InvalidInputException("expected train, bundle or eval, found " + args[0]);
        }
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> a = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String s = args[i];
            int eq = s.indexOf('=');
            if (!s.startsWith("--") || eq < 0) {
                throw new InvalidInputException("expected --key=value, found " + s);
            }
            a.put(s.substring(2, eq), s.substring(eq + 1));
        }
        return a;
    }

    static String req(Map<String, String> a, String k) {
        String v = a.get(k);
        if (v == null) {
            throw new InvalidInputException("expected option --" + k + "=..., found none");
        }
        return v;
    }

    static AutoencoderTrainer.Options options(Map<String, String> a) {
        Path data = Path.of(a.getOrDefault("data", "data/austen"));
        Path tok = Path.of(a.getOrDefault("tokenizer", "models/austen/tokenizer"));
        List<Path> files = new ArrayList<>();
        for (String n : TRAIN_NOVELS) {
            files.add(data.resolve(n + ".txt"));
        }
        int vocab;
        int maskId;
        try (SonarTokenizer t = SonarTokenizer.load(tok)) {
            vocab = t.vocabSize();
            maskId = t.maskId();
        }
        int d = Integer.parseInt(a.getOrDefault("d", "256"));
        AutoencoderConfig cfg = new AutoencoderConfig(vocab, d, Integer.parseInt(a.getOrDefault("heads", "4")),
                Integer.parseInt(a.getOrDefault("ffn", String.valueOf(4 * d))),
                Integer.parseInt(a.getOrDefault("layers", "3")), Integer.parseInt(a.getOrDefault("layers", "3")), 128);
        long steps = Long.parseLong(a.getOrDefault("steps", "6000"));
        AutoencoderTrainer.Options o = new AutoencoderTrainer.Options(tok, files, Path.of(req(a, "out")), cfg,
                Integer.parseInt(a.getOrDefault("batch", "64")), Integer.parseInt(a.getOrDefault("max-tokens", "40")), steps,
                Long.parseLong(a.getOrDefault("interp-from", String.valueOf(steps * 4 / 5))),
                Double.parseDouble(a.getOrDefault("lr", "1e-3")), Long.parseLong(a.getOrDefault("warmup", "300")),
                Double.parseDouble(a.getOrDefault("wd", "0.01")), Double.parseDouble(a.getOrDefault("clip", "1.0")),
                new Noise(Double.parseDouble(a.getOrDefault("drop", "0.1")), Double.parseDouble(a.getOrDefault("mask", "0.1")),
                        Integer.parseInt(a.getOrDefault("shuffle", "3")), maskId),
                Double.parseDouble(a.getOrDefault("noised-share", "0.5")), Long.parseLong(a.getOrDefault("seed", "42")),
                Long.parseLong(a.getOrDefault("checkpoint-every", "100")), Integer.parseInt(a.getOrDefault("max-sentences", "0")));
        a.keySet().removeAll(List.of("data", "tokenizer", "d", "heads", "ffn", "layers", "steps", "out", "batch",
                "max-tokens", "interp-from", "lr", "warmup", "wd", "clip", "drop", "mask", "shuffle", "noised-share", "seed",
                "checkpoint-every", "max-sentences"));
        if (!a.isEmpty()) {
            throw new InvalidInputException("expected known train options, found " + a.keySet());
        }
        return o;
    }
}
