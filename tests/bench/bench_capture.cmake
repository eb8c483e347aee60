# bench-capture: `capture --read` against `tshark -z rtp,streams` on a generated pcap of 1,000
# interleaved RTP streams (~1 M packets, ~150 MB in /tmp, deleted afterwards): packets/s on one
# core and peak RSS of both (capture_bench.py). Meaningful in a Release build.
add_executable(capture_gen capture_gen.c)
if(TARGET voiceready-agent)
  find_package(Python3 COMPONENTS Interpreter)
  if(Python3_Interpreter_FOUND)
    add_custom_target(bench-capture
                      COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/capture_bench.py
                              --agent $<TARGET_FILE:voiceready-agent>
                              --gen $<TARGET_FILE:capture_gen>
                      DEPENDS voiceready-agent capture_gen
                      USES_TERMINAL
                      VERBATIM
                      COMMENT "Capture: capture --read vs tshark on 1 M packets (about 1-2 min)")
  endif()
endif()
