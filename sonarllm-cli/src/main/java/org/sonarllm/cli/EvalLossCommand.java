package org.sonarllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.training.ConceptLMTrainer;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.data.CorpusReader;
import org.sonarllm.training.model.Batch;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.model.ConceptLMWeights;
import org.sonarllm.training.model.FrozenSonarDecoder;
import org.sonarllm.training.model.ImportedSonarDecoder;
import org.sonarllm.training.model.Objective;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm eval-loss --model BUNDLE --objective ce|mse}: documents on stdin as JSON lines
 * {@code {"sentences": [...]}}; the end-of-sequence sentence is appended as in training; prints
 * {@code {"loss": x, "tokens": n}} (tokens: CE target tokens, or predicted sentences for MSE).
 *
 * <pre>{@code
 * echo '{"sentences": ["It rained.", "We stayed in."]}' | ./sonarllm eval-loss --model my-bundle
 * }</pre>
 */
@Command(name = "eval-loss", mixinStandardHelpOptions = true,
        description = "Concept-LM loss of documents ({\"sentences\": [...]} per stdin line): prints {loss, tokens}.")
final class EvalLossCommand extends Nd4jCommand {
    /** Folder of a bundle where {@code train} stores the trained concept LM's SONAR-LLM checkpoint. */
    static final String CHECKPOINT_DIR = org.sonarllm.training.ConceptLMExport.CHECKPOINT_COMPONENT;

    @Option(names = "--model", required = true, paramLabel = "BUNDLE") Path bundle;
    @Option(names = "--objective", defaultValue = "ce") String objective;
    @Option(names = "--lm", paramLabel = "DIR", description = "SONAR-LLM checkpoint (default: BUNDLE/" + CHECKPOINT_DIR + ").") Path lm;
    @Option(names = "--decoder-weights", paramLabel = "DIR", description = "SONAR decoder (HF layout), for ce (default: the bundle's imported decoder_training.onnx).") Path decoderWeights;
    @Option(names = "--lang", defaultValue = "eng_Latn", converter = LanguageConverter.class) Language lang;
    @Option(names = "--batch-size", defaultValue = "8") int batchSize;


    @Override
    protected int body() throws Exception {
        Objective obj = Objective.parse(objective);
        Path ck = lm != null ? lm : bundle.resolve(CHECKPOINT_DIR);
        if (!Files.isDirectory(ck)) {
            throw new UsageException("concept LM checkpoint not found: " + ck + " (pass --lm DIR)");
        }
        ConceptLMConfig cfg = ConceptLMConfig.read(ck.resolve("config.json"));
        List<CorpusReader.RawDocument> raw = new ArrayList<>();
        ObjectMapper om = new ObjectMapper();
        try (BufferedReader r = stdinLines()) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (!line.isBlank()) {
                    CorpusReader.RawDocument d = CorpusReader.parseLine(om, line, "stdin line " + n);
                    if (d.sentences() == null || d.sentences().isEmpty()) {
                        throw new InvalidInputException("stdin line " + n + ": expected a non-empty \"sentences\" array");
                    }
                    raw.add(d);
                }
            }
        }
        if (raw.isEmpty()) {
            throw new InvalidInputException("expected at least one document on stdin, found none");
        }
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            boolean ce = obj == Objective.CE;
            FrozenSonarDecoder dec = ce && decoderWeights != null ? FrozenSonarDecoder.load(decoderWeights) : null;
            ImportedSonarDecoder imported = ce && decoderWeights == null ? ImportedSonarDecoder.fromBundle(bundle) : null;
            int limit = dec != null ? TrainCommand.decoderLimit(decoderWeights)
                    : imported != null ? org.sonarllm.bundle.Bundle.open(bundle).manifest().dimensions().maxPositions()
                    : Integer.MAX_VALUE;
            float[] eos = llm.encoder().encode(List.of("End of sequence."), lang).get(0);
            int[] eosTok = tokens(llm, "End of sequence.", limit);
            List<Batch.Document> docs = new ArrayList<>();
            for (CorpusReader.RawDocument d : raw) {
                List<float[]> e = llm.encoder().encode(d.sentences(), lang);
                float[][] emb = new float[e.size() + 1][];
                int[][] tok = new int[e.size() + 1][];
                for (int i = 0; i < e.size(); i++) {
                    emb[i] = e.get(i);
                    tok[i] = tokens(llm, d.sentences().get(i), limit);
                }
                emb[e.size()] = eos;
                tok[e.size()] = eosTok;
                docs.add(new Batch.Document(emb, tok));
            }
            ConceptLMTrainer t = ConceptLMTrainer.builder().model(cfg)
                    .initialParameters(ConceptLMWeights.fromSafeTensors(ck.resolve("model.safetensors"), cfg, DataType.FLOAT))
                    .decoder(dec).importedDecoder(imported).training(TrainingConfig.defaults().withObjective(obj).withBatchSize(batchSize))
                    .outputDir(ck).build();
            double[] lc = t.evaluateWithCount(docs);
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("loss", lc[0]);
            o.put("tokens", (long) lc[1]);
            json().write(o);
        }
        return 0;
    }

    private int[] tokens(SonarLlm llm, String s, int limit) {
        int[] t = llm.tokenizer().decoderTarget(s, lang);
        int n = Math.min(t.length - 1, limit - 2);
        return java.util.Arrays.copyOf(t, n);
    }
}
