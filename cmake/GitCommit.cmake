# Run at build time (cmake -P): writes OUT with the current commit, so a rebuild without
# re-running CMake still records the commit it was built from. The file is rewritten only when
# its contents change, so an unchanged commit triggers no recompilation.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY "${SRC}"
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY "${SRC}"
                OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT commit)
  set(commit "unknown")
elseif(dirty)
  set(commit "${commit}-dirty")
endif()
set(text "// Generated at build time by cmake/GitCommit.cmake.\n#pragma once\nnamespace smb::build {\ninline constexpr const char* git_commit = \"${commit}\";\n}  // namespace smb::build\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE "${OUT}" "${text}")
endif()
