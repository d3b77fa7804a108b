package org.sonarllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.sonarllm.onnx.runtime.RuntimeOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm bench}: the inference benchmark over a given bundle (or a random-weight one it
 * creates), in-process, with warm-up and repeats; one JSON line per measurement with rates, the sha256
 * of the output ids and peak RSS. {@code --dump DIR} writes the inputs and Java's outputs for
 * {@code scripts/bench/torch_infer.py}, which runs the same inputs on the same weights.
 *
 * <pre>{@code
 * ./sonarllm bench --random medium --work /tmp/medium --tokenizer models/austen/tokenizer --threads 2 --dump /tmp/medium/dump
 * ./sonarllm bench --model my-bundle --tasks decode --searches beam5 --decode-batches 16
 * }</pre>
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark inference (load, encode, decode, generate) over a bundle: one JSON line per measurement.")
final class BenchCommand extends CliCommand {
    @Option(names = "--model", paramLabel = "BUNDLE", description = "Bundle to measure (or use --random).")
    Path model;

    @Option(names = "--random", paramLabel = "SHAPE",
            description = "Create (once) a random-weight model under --work: medium, real, real-sonar (no concept LM), or "
                    + "d,heads,ffn,layers,vocab,lmHidden,lmLayers,lmHeads,lmFfn.")
    String random;

    @Option(names = "--work", paramLabel = "DIR", description = "Work directory of --random (checkpoint/, bundle/).")
    Path work;

    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Tokenizer of a --random bundle.")
    Path tokenizer;

    @Option(names = "--tasks", defaultValue = "load,encode,decode,generate", split = ",",
            description = "Any of gemm (the float32 GEMM peak), load, encode, decode, generate (default: ${DEFAULT-VALUE}).")
    List<String> tasks;

    @Option(names = "--threads", defaultValue = "2", description = "Intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--repeats", defaultValue = "3", description = "Timed runs; the best counts (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--encode-sentences", defaultValue = "256", description = "Sentences per encode run (default: ${DEFAULT-VALUE}).")
    int encodeSentences;

    @Option(names = "--lengths", defaultValue = "8-48", description = "Sentence lengths in tokens, MIN-MAX (default: ${DEFAULT-VALUE}).")
    String lengths;

    @Option(names = "--encode-batches", defaultValue = "1,32", split = ",", description = "Encoder batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> encodeBatches;

    @Option(names = "--decode-sentences", defaultValue = "16", description = "Embeddings per decode run (default: ${DEFAULT-VALUE}).")
    int decodeSentences;

    @Option(names = "--decode-batches", defaultValue = "1,16", split = ",", description = "Decoder batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> decodeBatches;

    @Option(names = "--searches", defaultValue = "greedy,beam5", split = ",", description = "greedy, beamN (default: ${DEFAULT-VALUE}).")
    List<String> searches;

    @Option(names = "--max-tokens", defaultValue = "32", description = "Token limit per sentence (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--kv-cache", defaultValue = "true", split = ",",
            description = "Decoder KV cache settings to run, true and/or false (default: ${DEFAULT-VALUE}).")
    List<Boolean> kvCache;

    @Option(names = "--generate-sentences", defaultValue = "32", description = "Sentences generated (default: ${DEFAULT-VALUE}).")
    int generateSentences;

    @Option(names = "--lm-cache", defaultValue = "true,false", split = ",",
            description = "Concept-LM cache settings of the generation loop (default: ${DEFAULT-VALUE}).")
    List<Boolean> lmCache;

    @Option(names = "--generate-search", defaultValue = "beam5", description = "Decoding in the loop (default: ${DEFAULT-VALUE}).")
    String generateSearch;

    @Option(names = "--seed", defaultValue = "7", description = "Input seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--dump", paramLabel = "DIR", description = "Write inputs.json and java.json for torch_infer.py.")
    Path dump;

    @Override
    protected int run() throws Exception {
        Path bundle = model;
        if (random != null) {
            if (work == null) {
                throw new UsageException("--random needs --work DIR");
            }
            bundle = RandomBundle.ensure(work, RandomBundle.Shape.parse(random), tokenizer);
        } else if ((bundle == null || !Files.isDirectory(bundle)) && !tasks.stream().allMatch("gemm"::equals)) {
            throw new UsageException("expected --model BUNDLE (a directory) or --random SHAPE, found " + bundle);
        }
        String[] mm = lengths.split("-");
        int min;
        int max;
        try {
            min = Integer.parseInt(mm[0].trim());
            max = Integer.parseInt(mm[mm.length - 1].trim());
        } catch (NumberFormatException e) {
            throw new UsageException("expected --lengths MIN-MAX, found " + lengths);
        }
        if (mm.length > 2 || min < 3 || max < min) {
            throw new UsageException("expected --lengths MIN-MAX with 3 <= MIN <= MAX, found " + lengths);
        }
        for (String t : tasks) {
            if (!List.of("gemm", "load", "encode", "decode", "generate").contains(t)) {
                throw new UsageException("expected tasks of gemm, load, encode, decode, generate, found " + t);
            }
        }
        searches.forEach(InferenceBench::search);
        InferenceBench.search(generateSearch);
        RuntimeOptions o = RuntimeOptions.builder().intraOpThreads(threads).build();
        InferenceBench.run(new InferenceBench.Config(bundle, o, tasks, warmup, repeats, encodeSentences, min, max,
                encodeBatches, decodeSentences, decodeBatches, searches, maxTokens, kvCache, generateSentences, lmCache,
                generateSearch, seed, dump), row -> {
                    json().write(row);
                    main.out.flush();
                });
        return 0;
    }
}
