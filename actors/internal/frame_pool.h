#ifndef COACTOR_ACTORS_INTERNAL_FRAME_POOL_H_
#define COACTOR_ACTORS_INTERNAL_FRAME_POOL_H_

#include "actors/internal/compiler_check.h"
// (compiler_check.h first: it refuses what cannot build coactor.)

#include <cstddef>
#include <cstdint>

// Memory for actor coroutine frames.
//
// Spawning an actor allocates its coroutine frame. A program that spawns a
// million short actors spent most of its spawn time in malloc's slow paths
// and in page faults, one per fresh 4 KiB page. Frames come instead from
// per-thread pools: a worker allocates from its own pool without a lock, and
// a frame freed where it was allocated goes back to that pool.
//
//   - Size classes of 16 bytes up to kLargestPooledFrame; a larger frame
//     comes from ::operator new, as before.
//   - Each class carves its frames from 256 KiB chunks (mmap'd, aligned to
//     their size, so a frame finds its chunk by masking its address). A
//     chunk is prefaulted in one system call when it is mapped.
//   - A frame freed on another thread (work stealing: spawned on one
//     worker, ended on another) is pushed onto its chunk's remote list with
//     one compare-and-swap; the owner takes the list back when its chunk
//     runs dry.
//   - Memory goes back to the system: a chunk whose frames are all free is
//     unmapped at once, except the one each class allocates from; frames
//     freed on other threads count once the owner takes them back (when a
//     chunk runs dry, or at ReturnFreedFrames()). A thread that exits
//     unmaps its empty chunks and leaves its heap to the next new thread.
//   - Under AddressSanitizer a free frame is poisoned until it is allocated
//     again, so a use after free of a frame is still reported (resuming an
//     ended actor too: "use-after-poison"). A frame freed on another thread
//     has its first word open until its owner takes it back. Frames are
//     reused at once, last freed first: a use after the frame went to a new
//     actor goes unseen, as it would with any allocator without quarantine.
//
// Thread-safety: AllocateFrame and FreeFrame may be called from any thread,
// and a frame may be freed on a thread other than the one that allocated
// it. FramePoolCounters is a racy snapshot meant for tests and metrics.

namespace coactor::internal {

inline constexpr std::size_t kLargestPooledFrame = 1024;

// Memory for a frame of `size` bytes, aligned for any object
// (__STDCPP_DEFAULT_NEW_ALIGNMENT__). Throws std::bad_alloc when out of
// memory, as ::operator new does.
void* AllocateFrame(std::size_t size);
// Frees what AllocateFrame(size) returned; `size` must be the same.
void FreeFrame(void* frame, std::size_t size) noexcept;

// Takes back the frames other threads freed into this thread's pool and
// unmaps the chunks left without a live frame: one atomic exchange when
// there are none. A thread calls it where it goes idle (a worker before it
// sleeps, Run()'s caller when the run is over), so the memory of actors
// that ended elsewhere goes back even if this thread never spawns again.
void ReturnFreedFrames() noexcept;

struct FramePoolCounters {
  int64_t chunks_mapped = 0;  // Chunks mapped now, in all threads.
  int64_t chunks_ever = 0;    // Chunks mapped since the program began.
};
FramePoolCounters GetFramePoolCounters();

}  // namespace coactor::internal

#endif  // COACTOR_ACTORS_INTERNAL_FRAME_POOL_H_
