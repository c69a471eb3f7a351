# The ISAs the kernels are compiled for and the compile flags of each, read from the one ISA
# table: the SMB_ISA(name, features, "flags") rows of variants/list.inc (which also give each
# ISA's required CPU features to src/core/cpu.cpp and its value in `enum class Isa`).
# Every row but `scalar` (variants/scalar/scalar.cpp, baseline flags) has its unit,
# variants/simd/isa_<name>.cpp, compiled with that row's flags only.
# The library itself is never built with -march=native: each ISA unit gets only its own flags
# and dispatch picks one at run time.
#
# Sets SMB_ISAS (the SIMD ISAs, in list order), SMB_FLAGS_<isa> (a list of flags) and
# SMB_FEATURES_<isa> (its required CPU features, the list's k* names: kSse2;kAvx;...).
set(_smb_list ${CMAKE_CURRENT_LIST_DIR}/../variants/list.inc)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_smb_list})
file(STRINGS ${_smb_list} _smb_isa_rows REGEX "^SMB_ISA\\(")
set(SMB_ISAS "")
foreach(_row IN LISTS _smb_isa_rows)
  if(NOT _row MATCHES "^SMB_ISA\\(([a-z0-9_]+), ([^\"]*), \"([^\"]*)\"\\)$")
    message(FATAL_ERROR "variants/list.inc: an ISA row is not SMB_ISA(name, features, \"flags\") on one line: ${_row}")
  endif()
  set(_isa ${CMAKE_MATCH_1})
  separate_arguments(_flags UNIX_COMMAND "${CMAKE_MATCH_3}")
  string(REGEX MATCHALL "k[A-Za-z0-9_]+" _features "${CMAKE_MATCH_2}")  # resets CMAKE_MATCH_<n>
  if(_isa STREQUAL "scalar")
    continue()
  endif()
  if(NOT EXISTS ${CMAKE_CURRENT_LIST_DIR}/../variants/simd/isa_${_isa}.cpp)
    message(FATAL_ERROR "variants/list.inc lists the ISA '${_isa}', which has no unit "
                        "variants/simd/isa_${_isa}.cpp (see README, 'How to add an ISA')")
  endif()
  list(APPEND SMB_ISAS ${_isa})
  set(SMB_FLAGS_${_isa} ${_flags})
  set(SMB_FEATURES_${_isa} ${_features})
endforeach()
if(NOT SMB_ISAS)
  message(FATAL_ERROR "variants/list.inc: no SMB_ISA rows with a unit found")
endif()
