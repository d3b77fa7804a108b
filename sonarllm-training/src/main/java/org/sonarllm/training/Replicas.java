package org.sonarllm.training;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.SonarLlmException;
import org.sonarllm.training.internal.NativeThreads;

/**
 * Data parallelism on one machine: a micro-batch is split into contiguous parts, one per replica, each
 * run on its own thread (part 0 on the caller's). The parts' gradients are combined weighted by each
 * part's share of the micro-batch's weight, which is exactly the whole micro-batch's mean gradient, so
 * results do not depend on the number of replicas beyond float rounding. SameDiff runs one op at a time;
 * while the replicas exist, each op uses its share of the native threads ({@link NativeThreads#share}: one
 * per replica on a machine with as many cores), so that n replicas use the cores without their OpenMP
 * teams competing.
 */
final class Replicas<E> implements AutoCloseable {
    private final List<TrainingTask.Replica<E>> replicas = new ArrayList<>();
    private final ExecutorService pool;
    private final NativeThreads threads;

    Replicas(TrainingTask<E> task, int workers) {
        threads = workers > 1 ? NativeThreads.limit(NativeThreads.share(workers)) : null;
        for (int i = 0; i < workers; i++) {
            replicas.add(task.replica(i));
        }
        pool = workers > 1 ? Executors.newFixedThreadPool(workers - 1, r -> {
            Thread t = new Thread(r, "sonarllm-training-replica");
            t.setDaemon(true);
            return t;
        }) : null;
        sync(List.copyOf(replicas.get(0).parameters().keySet()));
    }

    /** Copies replica 0's values of {@code names} into every other replica. */
    void sync(List<String> names) {
        Map<String, INDArray> live = replicas.get(0).parameters();
        for (int w = 1; w < replicas.size(); w++) {
            Map<String, INDArray> copy = replicas.get(w).parameters();
            for (String n : names) {
                copy.get(n).assign(live.get(n));
            }
        }
    }

    TrainingTask.Gradients gradients(List<E> examples, List<String> names) {
        int parts = Math.min(replicas.size(), examples.size());
        if (parts == 1) {
            return replicas.get(0).gradients(examples, names);
        }
        List<Future<TrainingTask.Gradients>> futures = new ArrayList<>();
        for (int p = 1; p < parts; p++) {
            List<E> part = part(examples, p, parts);
            TrainingTask.Replica<E> r = replicas.get(p);
            futures.add(pool.submit(() -> r.gradients(part, names)));
        }
        List<TrainingTask.Gradients> results = new ArrayList<>();
        results.add(replicas.get(0).gradients(part(examples, 0, parts), names));
        for (Future<TrainingTask.Gradients> f : futures) {
            results.add(get(f));
        }
        return combine(results);
    }

    private static <E> List<E> part(List<E> examples, int p, int parts) {
        return examples.subList(examples.size() * p / parts, examples.size() * (p + 1) / parts);
    }

    private static TrainingTask.Gradients get(Future<TrainingTask.Gradients> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SonarLlmException("interrupted while computing gradients", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new SonarLlmException("gradient computation failed: " + e.getCause(), e.getCause());
        }
    }

    private static TrainingTask.Gradients combine(List<TrainingTask.Gradients> results) {
        double total = 0;
        long sentences = 0;
        long tokens = 0;
        for (TrainingTask.Gradients r : results) {
            total += r.weight();
            sentences += r.sentences();
            tokens += r.targetTokens();
        }
        double loss = 0;
        Map<String, INDArray> sum = new LinkedHashMap<>();
        for (TrainingTask.Gradients r : results) {
            double share = r.weight() / total;
            loss += share * r.loss();
            for (Map.Entry<String, INDArray> e : r.gradients().entrySet()) {
                INDArray scaled = e.getValue().mul(share);
                sum.merge(e.getKey(), scaled, INDArray::addi);
            }
        }
        return new TrainingTask.Gradients(loss, total, sentences, tokens, sum);
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
        if (threads != null) {
            threads.close();
        }
    }
}
