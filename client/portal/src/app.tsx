export function App() {
  return <main><h1>xai-lab</h1></main>;
}
