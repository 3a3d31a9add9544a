// A main() for fuzz targets where libFuzzer is not available (g++): runs every
// seed, then random mutations of the seeds until the time budget is spent.
// Deterministic (fixed PRNG seed), so a failure reproduces; with sanitizers
// the input that crashed is written to fuzz-crash-input.bin.
//
//   <target>_fuzz_replay [--seconds N] [--any-seed] SEED_FILE_OR_DIR...
//
// Seeds are binlog files (magic fe 62 69 6e) unless --any-seed, which takes
// every file (up to 1 MiB): the text and reply targets.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));

namespace {

std::vector<uint8_t> g_current;
bool g_any_seed = false;

void DumpCurrent() {
  std::ofstream out("fuzz-crash-input.bin", std::ios::binary);
  out.write(reinterpret_cast<const char*>(g_current.data()), std::streamsize(g_current.size()));
  std::cerr << "fuzz: crashing input written to fuzz-crash-input.bin\n";
}

// Seeds are binlog files (magic fe 62 69 6e) up to 1 MiB, or with --any-seed
// any file up to 1 MiB; other files are skipped.
void AddSeed(const std::filesystem::path& p, std::vector<std::vector<uint8_t>>* seeds) {
  if (std::filesystem::file_size(p) > (1u << 20)) return;
  std::ifstream in(p, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (g_any_seed || (bytes.size() >= 4 && std::memcmp(bytes.data(), "\xfe" "bin", 4) == 0))
    seeds->push_back(std::move(bytes));
}

void Mutate(std::vector<uint8_t>& b, const std::vector<std::vector<uint8_t>>& seeds, std::mt19937_64& rng) {
  const int ops = 1 + int(rng() % 8);
  for (int i = 0; i < ops && !b.empty(); ++i) {
    const size_t at = rng() % b.size();
    switch (rng() % 7) {
      case 0: b[at] ^= uint8_t(1u << (rng() % 8)); break;
      case 1: b[at] = uint8_t(rng()); break;
      case 2: b.resize(at); break;
      case 3: b.insert(b.begin() + at, uint8_t(rng())); break;
      case 4: b[at] = (rng() % 2) ? 0xFF : 0x00; break;
      case 5: {  // duplicate a chunk: repeated events and table maps
        const size_t len = std::min<size_t>(b.size() - at, 1 + rng() % 64);
        std::vector<uint8_t> chunk(b.begin() + at, b.begin() + at + len);
        b.insert(b.begin() + rng() % b.size(), chunk.begin(), chunk.end());
        break;
      }
      case 6: {  // splice in a chunk of another seed: clauses, members, events of other inputs
        const auto& other = seeds[rng() % seeds.size()];
        if (other.empty()) break;
        const size_t from = rng() % other.size();
        const size_t len = std::min<size_t>(other.size() - from, 1 + rng() % 64);
        b.insert(b.begin() + at, other.begin() + from, other.begin() + from + len);
        break;
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 10;
  std::vector<std::vector<uint8_t>> seeds;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::stod(argv[++i]);
      continue;
    }
    if (std::strcmp(argv[i], "--any-seed") == 0) {
      g_any_seed = true;
      continue;
    }
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p))
        if (e.is_regular_file()) AddSeed(e.path(), &seeds);
    } else {
      AddSeed(p, &seeds);
    }
  }
  if (seeds.empty()) {
    std::cerr << (g_any_seed ? "fuzz: no seed files given\n" : "fuzz: no seed binlog files given\n");
    return 2;
  }
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(DumpCurrent);
  for (const auto& s : seeds) {
    g_current = s;
    LLVMFuzzerTestOneInput(g_current.data(), g_current.size());
  }
  std::mt19937_64 rng(20240601);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  uint64_t runs = seeds.size();
  while (std::chrono::steady_clock::now() < deadline) {
    g_current = seeds[rng() % seeds.size()];
    Mutate(g_current, seeds, rng);
    LLVMFuzzerTestOneInput(g_current.data(), g_current.size());
    ++runs;
  }
  std::cout << "fuzz: " << runs << " inputs from " << seeds.size() << " seeds, no failure\n";
  return 0;
}
