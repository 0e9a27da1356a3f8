#include "actors/internal/frame_pool.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>

#include "absl/base/attributes.h"
#include "absl/base/config.h"
#include "absl/base/optimization.h"

#ifdef ABSL_HAVE_ADDRESS_SANITIZER
#include <sanitizer/asan_interface.h>
#define COACTOR_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define COACTOR_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define COACTOR_POISON(p, n) ((void)(p), (void)(n))
#define COACTOR_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace coactor::internal {
namespace {

// The protocol between a chunk's owner and the threads that free into it:
//
//  1. A chunk belongs to one Heap for its whole life; only the thread that
//     holds that heap (its owner) allocates from it, counts its live frames,
//     and unmaps it. Heaps are never destroyed: a thread that exits leaves
//     its heap on the orphan list, and the next new thread adopts it.
//  2. Another thread frees a frame by pushing it onto the chunk's `remote`
//     list: one word, the list head with bit 0 meaning "the owner has been
//     told". The push that finds the bit clear sets it and then pushes the
//     chunk onto its heap's `notified` stack: that is the freeing thread's
//     last touch of the chunk.
//  3. The owner takes a chunk's remote list only after popping the chunk
//     from `notified`, exchanging the whole word with 0 (list and bit at
//     once). So a chunk with a notification pending always holds a frame the
//     owner has not counted free, and cannot reach zero live frames and be
//     unmapped while a freeing thread may still touch it (after step 2's
//     push of the chunk, the freeing thread is done).
//  4. Both stacks are only ever pushed onto and emptied whole, so a node
//     cannot come back under a compare-and-swap (no ABA).

constexpr std::size_t kChunkBytes = std::size_t{256} << 10;
constexpr std::size_t kGranule = 16;
constexpr int kClasses = static_cast<int>(kLargestPooledFrame / kGranule);
constexpr std::size_t kHeaderBytes = 192;

static_assert(__STDCPP_DEFAULT_NEW_ALIGNMENT__ <= kGranule);
static_assert(kHeaderBytes % kGranule == 0);

std::atomic<int64_t> g_chunks_mapped{0};
std::atomic<int64_t> g_chunks_ever{0};

struct FreeBlock {
  FreeBlock* next;
};

class Heap;

struct Chunk {
  // Owner only (rule 1).
  Heap* owner;
  FreeBlock* local = nullptr;
  char* bump;
  char* end;
  int64_t live = 0;
  uint32_t block_size;
  int size_class;
  Chunk* prev = nullptr;  // The owner's list of this class's chunks.
  Chunk* next = nullptr;
  // Written by a freeing thread before it pushes the chunk (rule 2).
  Chunk* next_notified = nullptr;
  // Rule 2's word, on its own cache line.
  alignas(64) std::atomic<uintptr_t> remote{0};
};
static_assert(sizeof(Chunk) <= kHeaderBytes);

Chunk* ChunkOf(void* frame) {
  return reinterpret_cast<Chunk*>(reinterpret_cast<uintptr_t>(frame) &
                                  ~(uintptr_t{kChunkBytes} - 1));
}

// kChunkBytes of memory aligned to kChunkBytes, prefaulted; nullptr when the
// system has none.
void* MapChunk() {
  // Map twice the size and cut to the aligned half.
  const std::size_t span = 2 * kChunkBytes;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned =
      (begin + kChunkBytes - 1) & ~(uintptr_t{kChunkBytes} - 1);
  if (aligned > begin) munmap(raw, aligned - begin);
  const uintptr_t tail = aligned + kChunkBytes;
  if (begin + span > tail)
    munmap(reinterpret_cast<void*>(tail), begin + span - tail);
  void* chunk = reinterpret_cast<void*>(aligned);
  // One system call faults the pages in, instead of one fault per page
  // (Linux 5.14 and later; elsewhere the pages fault in as they are used).
#ifdef MADV_POPULATE_WRITE
  madvise(chunk, kChunkBytes, MADV_POPULATE_WRITE);
#endif
  g_chunks_mapped.fetch_add(1, std::memory_order_relaxed);
  g_chunks_ever.fetch_add(1, std::memory_order_relaxed);
  return chunk;
}

void UnmapChunk(Chunk* chunk) {
  COACTOR_UNPOISON(chunk, kChunkBytes);
  chunk->~Chunk();
  munmap(chunk, kChunkBytes);
  g_chunks_mapped.fetch_sub(1, std::memory_order_relaxed);
}

class Heap {
 public:
  // Owner only.
  void* Allocate(int size_class) {
    Class& c = classes_[size_class];
    if (Chunk* chunk = c.current; ABSL_PREDICT_TRUE(chunk != nullptr)) {
      if (void* frame = TakeFrom(chunk)) return frame;
    }
    return AllocateSlow(size_class);
  }

  // Owner only: a frame of a chunk of this heap.
  void FreeLocal(Chunk* chunk, void* frame) {
    auto* block = static_cast<FreeBlock*>(frame);
    const bool was_full = chunk->local == nullptr;
    block->next = chunk->local;
    chunk->local = block;
    // The whole frame, `next` too: a coroutine frame's first word is its
    // resume pointer, so resuming an ended actor reads it. TakeFrom
    // unpoisons the frame before it reads `next`.
    COACTOR_POISON(frame, chunk->block_size);
    --chunk->live;
    Settle(chunk, was_full);
  }

  // Any thread but the owner (rule 2).
  static void FreeRemote(Chunk* chunk, void* frame) {
    auto* block = static_cast<FreeBlock*>(frame);
    // All but `next`, which the owner reads when it takes the list (and then
    // poisons); not after the push, when the owner may have reused it.
    COACTOR_POISON(reinterpret_cast<char*>(frame) + sizeof(FreeBlock),
                   chunk->block_size - sizeof(FreeBlock));
    uintptr_t head = chunk->remote.load(std::memory_order_relaxed);
    uintptr_t wanted;
    do {
      block->next = reinterpret_cast<FreeBlock*>(head & ~uintptr_t{1});
      wanted = reinterpret_cast<uintptr_t>(block) | 1;
      // Release: the owner that takes the list sees `next` and what we did
      // with the frame. Acquire: when the bit was clear, the owner's last
      // read of next_notified (before its exchange) comes before our write.
    } while (!chunk->remote.compare_exchange_weak(
        head, wanted, std::memory_order_acq_rel, std::memory_order_relaxed));
    if (head & 1) return;  // Already on the owner's stack.
    Heap* heap = chunk->owner;
    Chunk* top = heap->notified_.load(std::memory_order_relaxed);
    do {
      chunk->next_notified = top;
    } while (!heap->notified_.compare_exchange_weak(
        top, chunk, std::memory_order_release, std::memory_order_relaxed));
  }

  // Owner only: takes back what other threads freed (rule 3), and, when
  // `all`, unmaps the current chunks left without a live frame too.
  void Collect(bool all) {
    Chunk* chunk = notified_.exchange(nullptr, std::memory_order_acquire);
    while (chunk != nullptr) {
      Chunk* next = chunk->next_notified;
      // Acquire pairs with the freeing threads' pushes; release orders our
      // read of next_notified above before a later freer's write of it.
      uintptr_t word = chunk->remote.exchange(0, std::memory_order_acq_rel);
      auto* block = reinterpret_cast<FreeBlock*>(word & ~uintptr_t{1});
      const bool was_full = chunk->local == nullptr;
      while (block != nullptr) {
        FreeBlock* after = block->next;
        block->next = chunk->local;
        chunk->local = block;
        COACTOR_POISON(block, sizeof(FreeBlock));  // See FreeLocal.
        --chunk->live;
        block = after;
      }
      Settle(chunk, was_full);
      chunk = next;
    }
    if (!all) return;
    for (Class& c : classes_) {
      if (c.current != nullptr && c.current->live == 0) {
        UnmapChunk(c.current);
        c.current = nullptr;
      }
    }
  }

  // The orphan list's link, under g_orphans_mutex (rule 1).
  Heap* next_orphan = nullptr;

 private:
  // A chunk is current (frames come from it), available (on the class's
  // list: it has free frames), or full (on no list: only its frames, freed,
  // lead back to it).
  struct Class {
    Chunk* current = nullptr;
    Chunk* available = nullptr;
  };

  void* TakeFrom(Chunk* chunk) {
    if (FreeBlock* block = chunk->local) {
      COACTOR_UNPOISON(block, chunk->block_size);
      chunk->local = block->next;
      ++chunk->live;
      return block;
    }
    if (chunk->bump != chunk->end) {
      void* frame = chunk->bump;
      COACTOR_UNPOISON(frame, chunk->block_size);
      chunk->bump += chunk->block_size;
      ++chunk->live;
      return frame;
    }
    return nullptr;
  }

  void* AllocateSlow(int size_class) {
    Collect(/*all=*/false);
    Class& c = classes_[size_class];
    if (c.current != nullptr) {
      if (void* frame = TakeFrom(c.current)) return frame;
      c.current = nullptr;  // Full.
    }
    if (Chunk* chunk = c.available) {
      Unlink(c, chunk);
      c.current = chunk;
      return TakeFrom(chunk);
    }
    void* memory = MapChunk();
    if (memory == nullptr) throw std::bad_alloc();
    auto* chunk = new (memory) Chunk;
    chunk->owner = this;
    chunk->block_size = static_cast<uint32_t>((size_class + 1) * kGranule);
    chunk->size_class = size_class;
    chunk->bump = static_cast<char*>(memory) + kHeaderBytes;
    chunk->end = chunk->bump + (kChunkBytes - kHeaderBytes) /
                                   chunk->block_size * chunk->block_size;
    COACTOR_POISON(chunk->bump, chunk->end - chunk->bump);
    c.current = chunk;
    return TakeFrom(chunk);
  }

  // After frames of `chunk` were freed: a full chunk becomes available; a
  // chunk without live frames is unmapped, unless frames come from it.
  void Settle(Chunk* chunk, bool was_full) {
    Class& c = classes_[chunk->size_class];
    if (c.current == chunk) return;
    if (chunk->live == 0) {
      if (!was_full) Unlink(c, chunk);
      UnmapChunk(chunk);
      return;
    }
    if (was_full && chunk->local != nullptr) {
      chunk->prev = nullptr;
      chunk->next = c.available;
      if (c.available != nullptr) c.available->prev = chunk;
      c.available = chunk;
    }
  }

  static void Unlink(Class& c, Chunk* chunk) {
    if (chunk->prev != nullptr) {
      chunk->prev->next = chunk->next;
    } else {
      c.available = chunk->next;
    }
    if (chunk->next != nullptr) chunk->next->prev = chunk->prev;
    chunk->prev = chunk->next = nullptr;
  }

  Class classes_[kClasses];
  std::atomic<Chunk*> notified_{nullptr};
};

// Heaps outlive their threads (rule 1): an exiting thread leaves its heap
// here, for the next thread. No bound: a heap left off this list would keep
// every chunk whose frames outlived its thread mapped for good.
std::mutex g_orphans_mutex;
Heap* g_orphans = nullptr;

// Used, under its mutex, by a thread whose own heap is already gone (frames
// made by thread_local destructors). Its frames are freed under the mutex
// too, and its chunks unmapped as soon as they are empty: no thread owns it
// for long, so none would take back what was freed into it.
std::mutex g_fallback_mutex;
// Written once, under the mutex; read without it, relaxed, to tell its
// frames apart: a thread that frees one of them got it after the write, so
// it reads the heap; any other thread needs only to read something else.
std::atomic<Heap*> g_fallback{nullptr};

ABSL_CONST_INIT thread_local Heap* t_heap = nullptr;
ABSL_CONST_INIT thread_local bool t_heap_gone = false;

struct HeapReturner {
  ~HeapReturner() {
    Heap* heap = t_heap;
    t_heap = nullptr;
    t_heap_gone = true;
    if (heap == nullptr) return;
    heap->Collect(/*all=*/true);
    std::lock_guard<std::mutex> lock(g_orphans_mutex);
    heap->next_orphan = g_orphans;
    g_orphans = heap;
  }
};
thread_local HeapReturner t_returner;

Heap* AdoptHeap() {
  // Registers the thread's returner (its destructor runs at thread exit).
  (void)&t_returner;
  std::lock_guard<std::mutex> lock(g_orphans_mutex);
  if (Heap* heap = g_orphans) {
    g_orphans = heap->next_orphan;
    heap->next_orphan = nullptr;
    return heap;
  }
  return new Heap;  // Never deleted (rule 1).
}

ABSL_ATTRIBUTE_NOINLINE void* AllocateWithoutOwnHeap(int size_class) {
  if (!t_heap_gone) {
    t_heap = AdoptHeap();
    return t_heap->Allocate(size_class);
  }
  std::lock_guard<std::mutex> lock(g_fallback_mutex);
  Heap* fallback = g_fallback.load(std::memory_order_relaxed);  // Ours.
  if (fallback == nullptr) {
    fallback = new Heap;  // Never deleted (rule 1).
    g_fallback.store(fallback, std::memory_order_relaxed);  // See above.
  }
  return fallback->Allocate(size_class);
}

// A frame of another heap than this thread's.
ABSL_ATTRIBUTE_NOINLINE void FreeElsewhere(Chunk* chunk, void* frame) {
  Heap* fallback = g_fallback.load(std::memory_order_relaxed);  // See above.
  if (ABSL_PREDICT_FALSE(chunk->owner == fallback)) {
    std::lock_guard<std::mutex> lock(g_fallback_mutex);
    fallback->FreeLocal(chunk, frame);
    fallback->Collect(/*all=*/true);
    return;
  }
  Heap::FreeRemote(chunk, frame);
}

}  // namespace

void* AllocateFrame(std::size_t size) {
  if (ABSL_PREDICT_FALSE(size > kLargestPooledFrame || size == 0)) {
    return ::operator new(size);
  }
  const int size_class = static_cast<int>((size - 1) / kGranule);
  if (Heap* heap = t_heap; ABSL_PREDICT_TRUE(heap != nullptr)) {
    return heap->Allocate(size_class);
  }
  return AllocateWithoutOwnHeap(size_class);
}

void FreeFrame(void* frame, std::size_t size) noexcept {
  if (frame == nullptr) return;
  if (ABSL_PREDICT_FALSE(size > kLargestPooledFrame || size == 0)) {
    ::operator delete(frame);
    return;
  }
  Chunk* chunk = ChunkOf(frame);
  if (Heap* heap = t_heap; heap != nullptr && chunk->owner == heap) {
    heap->FreeLocal(chunk, frame);
  } else {
    FreeElsewhere(chunk, frame);
  }
}

void ReturnFreedFrames() noexcept {
  if (Heap* heap = t_heap) heap->Collect(/*all=*/false);
}

FramePoolCounters GetFramePoolCounters() {
  FramePoolCounters counters;
  counters.chunks_mapped = g_chunks_mapped.load(std::memory_order_relaxed);
  counters.chunks_ever = g_chunks_ever.load(std::memory_order_relaxed);
  return counters;
}

}  // namespace coactor::internal
