# Project code builds clean under -Wall -Wextra; the test build (SMB_WERROR=ON) makes that binding.
function(smb_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion $<$<BOOL:${SMB_WERROR}>:-Werror>)
endfunction()
