// leveldb_keys: LevelDB's own table reader as an independent check of .index files.
// Opens FILE with leveldb::Table::Open, iterates every entry with checksums verified, and
// prints one line per entry: hex(key) SP hex(value-length). Exit 1 on any error.
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>

#include <cstdio>
#include <memory>

int main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: leveldb_keys FILE\n");
		return 2;
	}
	leveldb::Env *env = leveldb::Env::Default();
	leveldb::RandomAccessFile *file = nullptr;
	uint64_t size = 0;
	leveldb::Status s = env->GetFileSize(argv[1], &size);
	if (s.ok())
		s = env->NewRandomAccessFile(argv[1], &file);
	if (!s.ok()) {
		std::fprintf(stderr, "leveldb_keys: %s\n", s.ToString().c_str());
		return 1;
	}
	leveldb::Options options;
	options.paranoid_checks = true;
	leveldb::Table *table = nullptr;
	s = leveldb::Table::Open(options, file, size, &table);
	if (!s.ok()) {
		std::fprintf(stderr, "leveldb_keys: %s\n", s.ToString().c_str());
		delete file;
		return 1;
	}
	leveldb::ReadOptions ro;
	ro.verify_checksums = true;
	std::unique_ptr<leveldb::Iterator> it(table->NewIterator(ro));
	for (it->SeekToFirst(); it->Valid(); it->Next()) {
		leveldb::Slice k = it->key();
		for (size_t i = 0; i < k.size(); i++)
			std::printf("%02x", (unsigned char)k[i]);
		std::printf(" %zu\n", it->value().size());
	}
	int rc = it->status().ok() ? 0 : 1;
	if (rc)
		std::fprintf(stderr, "leveldb_keys: %s\n", it->status().ToString().c_str());
	it.reset();
	delete table;
	delete file;
	return rc;
}
