# fuzz_icmpquote: the ICMP quote parser that `trace` runs on captured frames (agent/icmpquote.c).
# fuzz.icmpquote_replay runs in every build; fuzz.icmpquote needs clang and -DVR_FUZZ=ON.
# Regenerate the seeds with: cmake --build BUILD --target fuzz_icmpquote_gen &&
#   BUILD/tests/fuzz/fuzz_icmpquote_gen tests/fuzz/corpus/icmpquote
# The lab-* seeds are real frames captured with tcpdump (-i any: DLT_LINUX_SLL2, and -i eth0)
# in the chain of tests/trace/chain.sh; their first byte selects the link type (harness).
set(VR_FUZZ_ICMPQUOTE_CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/icmpquote)

add_executable(fuzz_icmpquote_replay fuzz_icmpquote.c replay.c)
target_link_libraries(fuzz_icmpquote_replay PRIVATE vragent)
add_test(NAME fuzz.icmpquote_replay COMMAND fuzz_icmpquote_replay ${VR_FUZZ_ICMPQUOTE_CORPUS})
set_tests_properties(fuzz.icmpquote_replay PROPERTIES LABELS fuzz TIMEOUT 60)

add_executable(fuzz_icmpquote_gen EXCLUDE_FROM_ALL fuzz_icmpquote.c)
target_compile_definitions(fuzz_icmpquote_gen PRIVATE VR_FUZZ_GEN)
target_link_libraries(fuzz_icmpquote_gen PRIVATE vragent)

if(VR_FUZZ AND CMAKE_C_COMPILER_ID STREQUAL "Clang")
  # The parser's sources are compiled into the target so that the fuzzer's coverage sees them.
  set(VR_COMMON_DIR ${PROJECT_SOURCE_DIR}/common)
  set(VR_AGENT_DIR ${PROJECT_SOURCE_DIR}/agent)
  add_executable(fuzz_icmpquote fuzz_icmpquote.c ${VR_AGENT_DIR}/icmpquote.c
                                ${VR_COMMON_DIR}/cursor.c ${VR_COMMON_DIR}/err.c)
  target_include_directories(fuzz_icmpquote PRIVATE ${VR_AGENT_DIR} ${VR_COMMON_DIR})
  target_compile_options(fuzz_icmpquote PRIVATE -fsanitize=fuzzer,address,undefined
                                                -fno-sanitize-recover=undefined
                                                -fno-omit-frame-pointer)
  target_link_options(fuzz_icmpquote PRIVATE -fsanitize=fuzzer,address,undefined)
  # New inputs go to the build tree; the source corpus is only read.
  set(VR_FUZZ_ICMPQUOTE_WORK ${CMAKE_CURRENT_BINARY_DIR}/corpus-icmpquote)
  file(MAKE_DIRECTORY ${VR_FUZZ_ICMPQUOTE_WORK})
  add_test(NAME fuzz.icmpquote
           COMMAND fuzz_icmpquote -max_total_time=20 -seed=1 -max_len=2048
                   ${VR_FUZZ_ICMPQUOTE_WORK} ${VR_FUZZ_ICMPQUOTE_CORPUS}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(fuzz.icmpquote PROPERTIES LABELS fuzz TIMEOUT 120)
endif()
