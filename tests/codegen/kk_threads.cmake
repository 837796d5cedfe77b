# kk_threads.cmake — cmocka test of the kernels' multi-threaded split
# (codegen/kernels/kk_par.h users) against the runtime's real thread pool,
# built with the host C compiler from the kernel sources and runtime/pool.c.
# Included by tests/codegen/CMakeLists.txt; ctest name kk_threads.
get_filename_component(KK_THR_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
file(GLOB KK_THR_KERNELS ${KK_THR_ROOT}/codegen/kernels/math_*.c
  ${KK_THR_ROOT}/codegen/kernels/nn_*.c)
find_package(Threads REQUIRED)
add_executable(test_kk_threads ${CMAKE_CURRENT_LIST_DIR}/test_kk_threads.c
  ${KK_THR_KERNELS} ${KK_THR_ROOT}/runtime/pool.c)
target_include_directories(test_kk_threads PRIVATE
  ${KK_THR_ROOT}/codegen/kernels ${KK_THR_ROOT}/runtime ${CMOCKA_INCLUDE})
target_link_libraries(test_kk_threads ${CMOCKA_LIB} Threads::Threads m)
add_test(NAME kk_threads COMMAND test_kk_threads)
