// containers.cc: a C++ workload for test-dropin.sh: new/delete,
// new[]/delete[], std::map<std::string, ...>, std::vector growth,
// std::string, and a second thread.  Deterministic output.
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

struct node {
	std::string name;
	std::vector<int> vals;
	node *next;
};

static uint64_t work(int seed)
{
	std::map<std::string, std::vector<int>> m;
	uint64_t sum = 0;

	for (int i = 0; i < 100000; i++) {
		std::string k = "key" + std::to_string((i * 7919 + seed) % 40009);
		m[k].push_back(i);
	}
	for (auto &kv : m)
		sum += kv.first.size() * kv.second.size() + kv.second.back();
	for (auto it = m.begin(); it != m.end();)
		it = (it->second.size() % 2) ? m.erase(it) : std::next(it);
	return sum + m.size();
}

int main()
{
	uint64_t other = 0;
	std::thread t([&other] { other = work(1); });
	uint64_t mine = work(0);
	t.join();
	std::printf("map %llu %llu\n", (unsigned long long)mine, (unsigned long long)other);

	node *head = nullptr;
	for (int i = 0; i < 50000; i++)
		head = new node{std::string(i % 100, 'a' + i % 26), std::vector<int>(i % 50, i), head};
	size_t chars = 0, ints = 0;
	while (head) {
		node *n = head;
		chars += n->name.size();
		ints += n->vals.size();
		head = n->next;
		delete n;
	}
	std::printf("nodes %zu %zu\n", chars, ints);

	std::vector<std::string> v;
	for (int i = 0; i < 200000; i++)
		v.emplace_back(std::to_string(i) + std::string(i % 40, 'z'));
	size_t total = 0;
	for (int round = 0; round < 20; round++) {
		int *a = new int[1000 * (round + 1)];
		for (int i = 0; i < 1000 * (round + 1); i++)
			a[i] = i ^ round;
		total += a[999 * (round + 1)];
		delete[] a;
		auto big = std::make_unique<char[]>((size_t)1 << (10 + round % 15));
		big[0] = 1;
	}
	std::printf("vector %zu %zu %s %zu\n", v.size(), v.capacity() >= v.size(), v[12345].c_str(), total);
	return 0;
}
