# fuzz_capture: the capture engine (agent/capture.c) and the frame parser (agent/rtpparse.c)
# fed with captured records (harness header says the input format). fuzz.capture_replay runs in
# every build; fuzz.capture needs clang and -DVR_FUZZ=ON.
# Regenerate the seeds with: python3 tests/fuzz/mkcorpus_capture.py
set(VR_FUZZ_CAPTURE_CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/capture)
set(VR_AGENT_DIR ${PROJECT_SOURCE_DIR}/agent)

add_executable(fuzz_capture_replay fuzz_capture.c replay.c)
target_link_libraries(fuzz_capture_replay PRIVATE vragent)
add_test(NAME fuzz.capture_replay COMMAND fuzz_capture_replay ${VR_FUZZ_CAPTURE_CORPUS})
set_tests_properties(fuzz.capture_replay PROPERTIES LABELS fuzz TIMEOUT 60)

if(VR_FUZZ AND CMAKE_C_COMPILER_ID STREQUAL "Clang")
  # Sources compiled into the target so that coverage and ASan see inside the parser.
  set(VR_COMMON_DIR ${PROJECT_SOURCE_DIR}/common)
  add_executable(fuzz_capture fuzz_capture.c ${VR_AGENT_DIR}/capture.c
                              ${VR_AGENT_DIR}/rtpparse.c ${VR_AGENT_DIR}/rtpstream.c
                              ${VR_COMMON_DIR}/stats.c ${VR_COMMON_DIR}/cursor.c
                              ${VR_COMMON_DIR}/err.c)
  target_include_directories(fuzz_capture PRIVATE ${VR_AGENT_DIR} ${VR_COMMON_DIR})
  target_link_libraries(fuzz_capture PRIVATE vragent)
  target_compile_options(fuzz_capture PRIVATE -fsanitize=fuzzer,address,undefined
                                              -fno-sanitize-recover=undefined
                                              -fno-omit-frame-pointer)
  target_link_options(fuzz_capture PRIVATE -fsanitize=fuzzer,address,undefined)
  set(VR_FUZZ_CAPTURE_WORK ${CMAKE_CURRENT_BINARY_DIR}/corpus-capture)
  file(MAKE_DIRECTORY ${VR_FUZZ_CAPTURE_WORK})
  add_test(NAME fuzz.capture
           COMMAND fuzz_capture -max_total_time=20 -seed=1 -max_len=4096
                   ${VR_FUZZ_CAPTURE_WORK} ${VR_FUZZ_CAPTURE_CORPUS}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(fuzz.capture PROPERTIES LABELS fuzz TIMEOUT 120)
endif()
