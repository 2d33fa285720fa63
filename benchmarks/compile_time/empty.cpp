// The baseline: what starting the compiler costs. Every other figure is reported over it.
int main() {}
