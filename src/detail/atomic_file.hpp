// The one way this project writes an output file (the .npy writer, and the CLI's CSV, JSON and
// tuning files): atomically and durably.
//
// A reader of the target sees either the old file or the complete new one, never a mix, and
// after a crash (power loss included) the rename is not visible before the data is on disk:
//   1. resolve the target through symbolic links: the link survives and its final target is
//      replaced, as NumPy's np.save (open-for-writing through the link) would do;
//   2. refuse a target that exists and is not a regular file (directory, character or block
//      device, FIFO, socket): renaming over it would replace, say, /dev/null by a regular file;
//      refuse one this process may not write (np.save could not open it either);
//   3. create a temporary next to the resolved target (same directory, so same filesystem),
//      with the permission bits of the file it replaces (and its owner and group where this
//      process may set them), else 0666 & ~umask like any new file;
//   4. write, fsync, close; rename over the target; fsync the directory.
// The temporary is removed on every failure, when an AtomicFile is destroyed without
// commit(), and when the process is killed by SIGINT, SIGTERM or SIGHUP: creating an
// AtomicFile installs a handler for each of those whose action is the default at that moment
// (an ignored signal or the program's own handler is left alone); it removes the live
// temporaries, then the signal kills the process as before. Only SIGKILL and a crash leave a
// temporary: a hidden file ".<name>.<random>.tmp" beside the target.
#pragma once

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smb::detail {

// Every failure: what() is "<file>: <problem>" with the file as the caller named it.
class FileError : public std::runtime_error {
public:
    FileError(std::string file, std::string problem);
    const std::string& file() const { return file_; }
    const std::string& problem() const { return problem_; }

private:
    std::string file_;
    std::string problem_;
};

// One file being replaced. The constructor does steps 1-3 (so a caller can create it before
// long work, which then fails early when the output cannot be written); write() appends;
// commit() does step 4. Not copyable; one thread at a time.
class AtomicFile {
public:
    explicit AtomicFile(const std::filesystem::path& target);
    ~AtomicFile();  // without commit(): the temporary is removed
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(const void* data, std::size_t bytes);
    void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }

    // fsync + close the temporary (commit() does it when not done yet). Split out so several
    // files can all be complete before any of them replaces its target.
    void finish();
    // Renames the temporary over the target, then fsyncs the directory.
    void commit();

    const std::filesystem::path& target() const { return target_; }            // as given
    const std::filesystem::path& destination() const { return destination_; }  // links resolved
    std::filesystem::path temporary() const;

private:
    void discard() noexcept;

    std::filesystem::path target_;
    std::filesystem::path destination_;
    std::string name_;       // destination's file name
    std::string temp_name_;  // the temporary's name in the same directory
    int dir_fd_ = -1;        // O_PATH descriptor of the directory
    int fd_ = -1;            // the temporary, open for writing until finish()
    int slot_ = -1;          // index in the signal handler's table of live temporaries
    bool committed_ = false;
};

// Writes every (path, contents) pair through an AtomicFile: all temporaries are written and
// fsync'ed first, then renamed in order, so a failure while writing replaces none of the
// targets. Directories are not created: a missing one is an error.
void write_files_atomically(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

}  // namespace smb::detail
