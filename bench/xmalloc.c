/* xmalloc: producer/consumer in the manner of Lever and Boreham's
 * xmalloc-test.
 *
 * T pairs of threads: each producer allocates blocks of 16 to 512 bytes
 * and hands them in batches, through a bounded queue, to its consumer,
 * which frees them: every free is a remote free.
 * Arguments: pairs blocks-per-producer.
 */
#include "bench/bench.h"

#define XM_BATCH 64
#define XM_RING 32

struct xm_queue {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	long head;			/* next batch the consumer takes */
	long tail;			/* next batch the producer fills */
	long total;			/* blocks to pass */
	void *ring[XM_RING][XM_BATCH];
};

static void *xm_producer(void *p)
{
	struct xm_queue *q = p;
	uint64_t rng = bench_seed((uintptr_t)q);

	for (long done = 0; done < q->total; done += XM_BATCH) {
		void *batch[XM_BATCH];

		for (int i = 0; i < XM_BATCH; i++) {
			size_t size = 16 + (size_t)(bench_rand(&rng) % 497);

			batch[i] = bench_xmalloc(size);
			bench_use(batch[i], size);
		}
		pthread_mutex_lock(&q->lock);
		while (q->tail - q->head == XM_RING)
			pthread_cond_wait(&q->changed, &q->lock);
		memcpy(q->ring[q->tail % XM_RING], batch, sizeof(batch));
		q->tail++;
		pthread_cond_broadcast(&q->changed);
		pthread_mutex_unlock(&q->lock);
	}
	return NULL;
}

static void *xm_consumer(void *p)
{
	struct xm_queue *q = p;

	for (long done = 0; done < q->total; done += XM_BATCH) {
		void *batch[XM_BATCH];

		pthread_mutex_lock(&q->lock);
		while (q->tail == q->head)
			pthread_cond_wait(&q->changed, &q->lock);
		memcpy(batch, q->ring[q->head % XM_RING], sizeof(batch));
		q->head++;
		pthread_cond_broadcast(&q->changed);
		pthread_mutex_unlock(&q->lock);
		for (int i = 0; i < XM_BATCH; i++)
			free(batch[i]);
	}
	return NULL;
}

static void *xm_pair(void *p)
{
	pthread_t prod;

	pthread_create(&prod, NULL, xm_producer, p);
	xm_consumer(p);
	pthread_join(prod, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	int pairs = (int)bench_arg(argc, argv, 1, 1);
	long blocks = bench_arg(argc, argv, 2, 2000000);
	struct xm_queue *q = bench_xmalloc(pairs * sizeof(*q));
	double t;

	if (pairs < 1)
		return 2;
	for (int i = 0; i < pairs; i++) {
		pthread_mutex_init(&q[i].lock, NULL);
		pthread_cond_init(&q[i].changed, NULL);
		q[i].head = q[i].tail = 0;
		q[i].total = blocks;
	}
	t = bench_threads(pairs, xm_pair, q, sizeof(*q));
	bench_result(t, (double)pairs * blocks, NULL);
	free(q);
	return 0;
}
