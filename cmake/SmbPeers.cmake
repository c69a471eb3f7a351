# Optional benchmark peers (oneDNN, XNNPACK, PyTorch): found when they can be, skipped with one clear
# configure message when they cannot, and never a reason for the build to stop, unless
# SMB_REQUIRE_PEERS is ON (the `test` preset: CI installs the peers, so a missing one is an error).
#
# Why a probe: CMake has no try/catch around find_package(). A package's own config file can
# stop the configure however QUIET the call is: Debian's dnnl-config.cmake runs
# find_package(OpenCL REQUIRED), which is a hard error without ocl-icd-opencl-dev. Checking for
# OpenCL first would only cover that one known failure of one version; instead the config is
# first loaded in a throw-away sub-configure (a few seconds, only when the config file exists),
# and the real find_package() runs only when that succeeded. Any failure of the config (a
# missing dependency, a FATAL_ERROR, a broken file) then means "skipped", with the reason.
#
# Sets SMB_HAVE_DNNL_PEER / SMB_HAVE_XNNPACK_PEER / SMB_HAVE_TORCH_PEER (ON/OFF) and the
# targets DNNL::dnnl / XNNPACK::XNNPACK / torch when found.

# smb_probe_config(<package> <ok-var> <reason-var>): loads <package>'s CMake config in a
# sub-configure; <ok-var> is TRUE when it loaded, else <reason-var> says why.
function(smb_probe_config pkg ok_var reason_var)
  set(${ok_var} FALSE PARENT_SCOPE)
  if(CMAKE_DISABLE_FIND_PACKAGE_${pkg})
    set(${reason_var} "CMAKE_DISABLE_FIND_PACKAGE_${pkg} is set" PARENT_SCOPE)
    return()
  endif()
  # Cheap first step: is there a config file at all? (NO_DEFAULT_PATH off: the usual search.)
  find_file(_smb_cfg NAMES ${pkg}Config.cmake ${pkg}-config.cmake
            PATH_SUFFIXES cmake/${pkg} lib/cmake/${pkg} lib/${CMAKE_LIBRARY_ARCHITECTURE}/cmake/${pkg}
            HINTS ${${pkg}_DIR} NO_CACHE)
  if(NOT _smb_cfg)
    set(${reason_var} "no ${pkg} CMake config found" PARENT_SCOPE)
    return()
  endif()
  set(dir ${CMAKE_BINARY_DIR}/peer-probe/${pkg})
  file(REMOVE_RECURSE ${dir})
  file(WRITE ${dir}/src/CMakeLists.txt
    "cmake_minimum_required(VERSION 3.22)\nproject(smb_probe_${pkg} LANGUAGES CXX)\n"
    "find_package(${pkg} CONFIG REQUIRED)\n")
  set(args -S ${dir}/src -B ${dir}/build -G "${CMAKE_GENERATOR}"
           "-DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}")
  foreach(v CMAKE_PREFIX_PATH CMAKE_FIND_ROOT_PATH CMAKE_IGNORE_PATH CMAKE_IGNORE_PREFIX_PATH
            ${pkg}_DIR)
    if(DEFINED ${v} AND NOT "${${v}}" STREQUAL "" AND NOT "${${v}}" MATCHES "-NOTFOUND$")
      string(REPLACE ";" "\\;" _val "${${v}}")
      list(APPEND args "-D${v}=${_val}")
    endif()
  endforeach()
  execute_process(COMMAND ${CMAKE_COMMAND} ${args} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE out)
  file(WRITE ${dir}/probe.log "${out}")
  if(rc EQUAL 0)
    set(${ok_var} TRUE PARENT_SCOPE)
    return()
  endif()
  # The first "Could NOT find ..." or error line is the useful part of the log.
  set(why "")
  string(REGEX MATCH "Could NOT find [^\n]*" why "${out}")
  if(why STREQUAL "")
    string(REGEX MATCH "CMake Error[^\n]*\n[^\n]*" why "${out}")
    string(REGEX REPLACE "[ \n]+" " " why "${why}")
  endif()
  set(${reason_var} "its CMake config (${_smb_cfg}) fails: ${why} (log: ${dir}/probe.log)"
      PARENT_SCOPE)
endfunction()

set(SMB_HAVE_DNNL_PEER OFF)
set(SMB_HAVE_XNNPACK_PEER OFF)
set(SMB_HAVE_TORCH_PEER OFF)
set(_smb_missing_peers "")

# smb_find_peer(<package> <target> <have-var> <why-var>): the probe, then the real find_package()
# (a macro: the package's variables, e.g. <package>_VERSION, stay visible). <have-var> is ON
# when the config loaded and defines <target>; otherwise <why-var> says why not.
macro(smb_find_peer pkg target have_var why_var)
  smb_probe_config(${pkg} _smb_peer_ok ${why_var})
  if(_smb_peer_ok)
    find_package(${pkg} CONFIG QUIET)
    if(TARGET ${target})
      set(${have_var} ON)
    else()
      set(${why_var} "its config loaded but defines no ${target} target")
    endif()
  endif()
endmacro()

# oneDNN (libdnnl-dev; Debian's config also needs ocl-icd-opencl-dev).
smb_find_peer(dnnl DNNL::dnnl SMB_HAVE_DNNL_PEER _smb_dnnl_why)
if(NOT SMB_HAVE_DNNL_PEER)
  if(_smb_dnnl_why MATCHES "OpenCL")
    string(APPEND _smb_dnnl_why "; install ocl-icd-opencl-dev")
  endif()
  list(APPEND _smb_missing_peers "oneDNN: ${_smb_dnnl_why}")
endif()

# XNNPACK (libxnnpack-dev + libpthreadpool-dev): our own find module, which cannot stop the build.
find_package(XNNPACK MODULE QUIET)
if(TARGET XNNPACK::XNNPACK)
  set(SMB_HAVE_XNNPACK_PEER ON)
else()
  list(APPEND _smb_missing_peers
       "XNNPACK: xnnpack.h, libXNNPACK or libpthreadpool not found (install libxnnpack-dev libpthreadpool-dev)")
endif()

# PyTorch (libtorch-dev, CMake config 'Torch'; its config pulls in Caffe2's and others').
smb_find_peer(Torch torch SMB_HAVE_TORCH_PEER _smb_torch_why)
if(NOT SMB_HAVE_TORCH_PEER)
  list(APPEND _smb_missing_peers "PyTorch: ${_smb_torch_why} (install libtorch-dev)")
endif()

foreach(_p IN LISTS _smb_missing_peers)
  if(SMB_REQUIRE_PEERS)
    message(SEND_ERROR "Peer required (SMB_REQUIRE_PEERS=ON) but missing: ${_p}. "
            "Run scripts/install-deps.sh, or configure with -DSMB_REQUIRE_PEERS=OFF to skip it.")
  else()
    message(STATUS "Optional peer skipped, its benchmarks will report 'not found at build time': ${_p}")
  endif()
endforeach()
if(_smb_missing_peers AND SMB_REQUIRE_PEERS)
  message(FATAL_ERROR "Missing required peers (see above).")
endif()
